//! `noi-desktop`: Nói's desktop app. `app` wires it, `desktop` is the controller that owns
//! every part; docs/architecture.md ("The desktop app") has the event flow.

mod api;
mod app;
mod capture;
mod coordinator_loop;
mod core;
mod desktop;
mod desktop_session;
mod focus;
mod hotkeys;
mod injector;
mod launch_args;
mod level_meter;
mod model_service;
mod models;
mod overlay;
mod settings_commands;
mod settings_window;
mod sound_cues;
mod tray;
#[cfg(target_os = "linux")]
mod wayland;
mod x11_probe;

use std::process::ExitCode;

use clap::Parser;

/// Exit status when there is no display to run on (scripts/run.sh then runs `noi serve`).
const EXIT_NO_DISPLAY: u8 = 3;

fn main() -> ExitCode {
    let args = launch_args::LaunchArgs::parse();
    init_logging();
    // The app dictates and serves the local API for hours, like `noi serve`: bound the
    // allocator's heaps before any thread starts (noi_engine::allocator).
    noi_engine::allocator::settle_for_a_long_running_process();
    if !has_display() {
        eprintln!(
            "noi-desktop: no display (neither DISPLAY nor WAYLAND_DISPLAY is set); the local \
             API alone runs with `noi serve`"
        );
        return ExitCode::from(EXIT_NO_DISPLAY);
    }
    match app::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("noi-desktop: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn has_display() -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    cfg!(any(target_os = "windows", target_os = "macos"))
        || set("DISPLAY")
        || set("WAYLAND_DISPLAY")
}

/// Logs to stderr, `info` by default (never transcript text at `info`), `NOI_LOG` to change.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("NOI_LOG").unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("info,symphonia=off,zbus=error,enigo=error")
    });
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
