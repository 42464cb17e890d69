//! `noi text`: the text pipeline without audio, so users can try their options and custom
//! words on typed text. One line in, one line out, flushed at once (works in a pipe or typed).

use std::io::{BufRead, Write};
use std::process::ExitCode;

use anyhow::Context;
use noi_text::postprocess;

use crate::TextArgs;

pub fn run(args: TextArgs) -> anyhow::Result<ExitCode> {
    let options = args.options()?;
    let stdin = std::io::stdin().lock();
    let mut stdout = std::io::stdout().lock();
    for (index, line) in stdin.lines().enumerate() {
        let line =
            line.with_context(|| format!("cannot read line {} of standard input", index + 1))?;
        writeln!(stdout, "{}", postprocess(&line, &options))
            .and_then(|()| stdout.flush())
            .context("cannot write to standard output")?;
    }
    Ok(ExitCode::SUCCESS)
}
