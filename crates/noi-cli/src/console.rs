//! Writing to standard output and standard error without dying when the other end is gone
//! (issue 17): `noi … | head` closes stdout early, a supervisor may close stderr. Rust's
//! `println!`/`eprintln!` panic then (exit 101).
//!
//! - [`say!`]: a line on stderr; if stderr is closed the line is lost, nothing else changes
//!   (the exit status still tells success from failure).
//! - [`out!`]: a line on stdout; if the reader has gone (broken pipe) the process ends at once
//!   with [`BROKEN_PIPE_EXIT`], as tools killed by SIGPIPE do, without a message.
//!
//! A *closed* descriptor (`noi … >&-`) is not seen here: Rust's runtime reopens closed
//! standard descriptors on `/dev/null` at start-up, so it behaves as `>/dev/null`.

use std::process::ExitCode;

/// 128 + SIGPIPE: what a shell reports for a command its pipe's reader stopped early.
pub const BROKEN_PIPE_EXIT: u8 = 141;

macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(error) = writeln!(std::io::stdout(), $($arg)*) {
            $crate::console::stdout_failed(&error);
        }
    }};
}

/// Ends the process on a write to stdout that failed: quietly with 141 on a broken pipe,
/// else with the error.
pub fn stdout_failed(error: &std::io::Error) -> ! {
    if error.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(i32::from(BROKEN_PIPE_EXIT));
    }
    say!("noi: error: cannot write to standard output: {error}");
    std::process::exit(1);
}

/// The exit status for a command that failed with `error`: 141 without a message when its
/// output's reader went away, else 1 with the message.
pub fn exit_for(error: &anyhow::Error) -> ExitCode {
    let broken_pipe = error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    });
    if broken_pipe {
        return ExitCode::from(BROKEN_PIPE_EXIT);
    }
    say!("noi: error: {error:#}");
    ExitCode::FAILURE
}
