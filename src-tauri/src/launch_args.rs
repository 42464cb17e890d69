//! `noi-desktop [--toggle | --start | --stop | --cancel] [--model-dir DIR]`. A second launch
//! is forwarded to the running app (single instance), so these are how a Wayland desktop
//! shortcut or a script drives dictation.

use std::path::PathBuf;

use clap::Parser;
use noi_desktop_core::coordinator::Command;

#[derive(Debug, Parser, PartialEq, Eq)]
#[command(
    name = "noi-desktop",
    // The workspace version and the git commit (build/git_commit.rs via build.rs).
    version = concat!(env!("CARGO_PKG_VERSION"), " (", env!("NOI_GIT_COMMIT"), ")"),
    about = "Nói: hold a hotkey, speak Vietnamese, let go, and the text lands in the focused app."
)]
pub struct LaunchArgs {
    /// Start dictation if idle, stop it if recording (for a desktop shortcut on Wayland).
    #[arg(long, group = "command")]
    pub toggle: bool,
    /// Start dictation.
    #[arg(long, group = "command")]
    pub start: bool,
    /// Stop dictation; the text goes to the focused app.
    #[arg(long, group = "command")]
    pub stop: bool,
    /// Cancel dictation; nothing is inserted.
    #[arg(long, group = "command")]
    pub cancel: bool,
    /// Use the model in this folder instead of the installed ones.
    #[arg(long, value_name = "DIR")]
    pub model_dir: Option<PathBuf>,
}

impl LaunchArgs {
    pub fn command(&self) -> Option<Command> {
        if self.toggle {
            Some(Command::Toggle)
        } else if self.start {
            Some(Command::Start)
        } else if self.stop {
            Some(Command::Stop)
        } else if self.cancel {
            Some(Command::Cancel)
        } else {
            None
        }
    }
}

/// Parses a forwarded command line (argv[0] first); `Err` holds clap's message.
pub fn parse(argv: &[String]) -> Result<LaunchArgs, clap::Error> {
    LaunchArgs::try_parse_from(argv)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(args: &[&str]) -> Vec<String> {
        std::iter::once("noi-desktop")
            .chain(args.iter().copied())
            .map(String::from)
            .collect()
    }

    #[test]
    fn each_flag_is_its_command() {
        assert_eq!(parse(&argv(&[])).unwrap().command(), None);
        assert_eq!(
            parse(&argv(&["--toggle"])).unwrap().command(),
            Some(Command::Toggle)
        );
        assert_eq!(
            parse(&argv(&["--start"])).unwrap().command(),
            Some(Command::Start)
        );
        assert_eq!(
            parse(&argv(&["--stop"])).unwrap().command(),
            Some(Command::Stop)
        );
        assert_eq!(
            parse(&argv(&["--cancel"])).unwrap().command(),
            Some(Command::Cancel)
        );
    }

    #[test]
    fn two_commands_at_once_are_refused() {
        assert!(parse(&argv(&["--start", "--stop"])).is_err());
        assert!(parse(&argv(&["--bogus"])).is_err());
    }

    #[test]
    fn model_dir_is_kept() {
        let args = parse(&argv(&["--model-dir", "/m", "--toggle"])).unwrap();
        assert_eq!(args.model_dir, Some(PathBuf::from("/m")));
    }
}
