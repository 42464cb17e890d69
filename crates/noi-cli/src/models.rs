//! `noi models`: list, download, install, verify and remove models (noi_models does the work;
//! this module parses, shows progress and prints).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use noi_models::{Catalog, CatalogModel, Event, Installer, ModelError, ModelStore};
use serde_json::json;

/// Exit code of a download stopped by Ctrl-C (128 + SIGINT, as shells report it).
const INTERRUPTED: u8 = 130;

#[derive(Args)]
pub struct ModelsArgs {
    /// Model catalog (TOML file or http(s) URL) instead of the built-in one; also NOI_CATALOG.
    #[arg(long, global = true, value_name = "FILE|URL")]
    catalog: Option<String>,
    #[command(subcommand)]
    command: ModelsCommand,
}

#[derive(Subcommand)]
enum ModelsCommand {
    /// The catalog's models and the installed ones, with size, licence and install path.
    List {
        /// One JSON array instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Download a catalog model, check its SHA-256 pins and install it. Resumes an interrupted
    /// download; NOI_MODEL_MIRROR replaces the release URL prefix.
    Download {
        #[arg(value_name = "ID")]
        id: String,
    },
    /// Install a model offline from a .tar.bz2 archive or a folder. Checked against the catalog
    /// when it matches an entry, otherwise validated by loading it.
    Install {
        #[arg(value_name = "PATH")]
        path: PathBuf,
        /// Install under this id (default: the catalog's, else derived from the name).
        #[arg(long, value_name = "ID")]
        id: Option<String>,
    },
    /// Delete an installed model.
    Remove {
        #[arg(value_name = "ID")]
        id: String,
    },
    /// Re-check an installed model's files against their SHA-256 pins.
    Verify {
        #[arg(value_name = "ID")]
        id: String,
    },
}

pub fn run(args: ModelsArgs) -> anyhow::Result<ExitCode> {
    let catalog = match &args.catalog {
        Some(source) => Catalog::load(source)?,
        None => Catalog::load_default()?,
    };
    let store = ModelStore::open_default()?;
    let installer = Installer::new(&store, &catalog, None);
    match args.command {
        ModelsCommand::List { json } => list(&store, &catalog, json),
        ModelsCommand::Download { id } => download(installer, &id),
        ModelsCommand::Install { path, id } => install(&installer, &path, id.as_deref()),
        ModelsCommand::Remove { id } => {
            let dir = installer.remove(&id, &mut waiting_notice)?;
            out!("removed {id} ({})", dir.display());
            Ok(ExitCode::SUCCESS)
        }
        ModelsCommand::Verify { id } => {
            let files = installer.verify(&id)?;
            out!("{id}: all {} files match their SHA-256 pins", files.len());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// One row of `noi models list`.
struct Row<'a> {
    id: &'a str,
    entry: Option<&'a CatalogModel>,
    installed: Option<noi_models::InstalledModel>,
}

fn rows<'a>(
    store: &ModelStore,
    catalog: &'a Catalog,
    installed: &'a [noi_models::InstalledModel],
) -> Vec<Row<'a>> {
    let listed = catalog.models.iter().map(|m| Row {
        id: &m.id,
        entry: Some(m),
        installed: store.get(&m.id),
    });
    let unlisted = installed
        .iter()
        .filter(|m| catalog.get(&m.id).is_none())
        .map(|m| Row {
            id: &m.id,
            entry: None,
            installed: Some(m.clone()),
        });
    listed.chain(unlisted).collect()
}

fn list(store: &ModelStore, catalog: &Catalog, as_json: bool) -> anyhow::Result<ExitCode> {
    let installed = store.installed();
    let rows = rows(store, catalog, &installed);
    if as_json {
        let values: Vec<_> = rows.iter().map(|r| row_json(r, catalog)).collect();
        out!("{}", serde_json::to_string_pretty(&values)?);
    } else {
        print_rows(&rows, catalog, store);
    }
    Ok(ExitCode::SUCCESS)
}

fn row_json(row: &Row, catalog: &Catalog) -> serde_json::Value {
    let manifest = row.installed.as_ref().and_then(|m| m.manifest.as_ref());
    json!({
        "id": row.id,
        "name": row.entry.map(|m| m.name.as_str()).or(manifest.map(|m| m.name.as_str())),
        "description": row.entry.map(|m| m.description.as_str()),
        "size": row.entry.map(|m| m.installed_size()).or(row.installed.as_ref().and_then(|m| m.size())),
        "download_size": row.entry.and_then(|m| m.archive_size),
        "license": row.entry.map(|m| m.license.as_str()),
        "license_note": row.entry.and_then(|m| m.license_note.as_deref()),
        "in_catalog": row.entry.is_some(),
        "installed": row.installed.is_some(),
        "path": row.installed.as_ref().map(|m| m.dir.display().to_string()),
        "default": row.id == catalog.default,
    })
}

fn print_rows(rows: &[Row], catalog: &Catalog, store: &ModelStore) {
    for row in rows {
        let default = if row.id == catalog.default {
            " (default)"
        } else {
            ""
        };
        let name = row.entry.map_or("not in the catalog", |m| m.name.as_str());
        out!("{}{default}  {name}", row.id);
        let size = row
            .entry
            .map(|m| m.installed_size())
            .or(row.installed.as_ref().and_then(|m| m.size()))
            .map_or("size unknown".to_string(), megabytes);
        let license = row
            .entry
            .map_or("licence unknown".to_string(), |m| m.license_label());
        let state = match &row.installed {
            Some(m) => format!("installed in {}", m.dir.display()),
            None => format!("not installed: noi models download {}", row.id),
        };
        out!("    {size}, {license}, {state}");
    }
    out!("models folder: {}", store.models_dir().display());
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

fn download(installer: Installer, id: &str) -> anyhow::Result<ExitCode> {
    let model = installer.catalog.require(id)?;
    if let Some(note) = &model.license_note {
        say!("note: {id} is licensed {} ({note})", model.license);
    }
    let cancel = install_ctrl_c_handler();
    let mut options = installer.options.clone();
    options.download.cancel = Some(cancel);
    let installer = Installer {
        options,
        ..installer
    };
    let mut progress = Progress::new();
    let result = installer.download(id, &mut |event| progress.show(event));
    progress.done();
    match result {
        Ok(installed) if installed.already => {
            out!(
                "{id} is already installed in {}",
                installed.model.dir.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Ok(installed) => {
            out!("installed {id} in {}", installed.model.dir.display());
            Ok(ExitCode::SUCCESS)
        }
        Err(error @ ModelError::Interrupted { .. }) => {
            say!("noi: {error}");
            Ok(ExitCode::from(INTERRUPTED))
        }
        Err(error) => Err(error.into()),
    }
}

/// First Ctrl-C: stop after the current chunk, keeping the partial download. Second: quit now
/// (the partial is still good: every chunk is written straight to the file).
fn install_ctrl_c_handler() -> Arc<AtomicBool> {
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = cancel.clone();
    let installed = ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            std::process::exit(i32::from(INTERRUPTED));
        }
    });
    if let Err(error) = installed {
        tracing::warn!(%error, "cannot catch Ctrl-C; it will stop the download abruptly (it still resumes)");
    }
    cancel
}

fn install(installer: &Installer, path: &Path, id: Option<&str>) -> anyhow::Result<ExitCode> {
    let mut progress = Progress::new();
    let result = installer.install_path(path, id, &mut |event| progress.show(event));
    progress.done();
    let installed = result.with_context(|| format!("cannot install {}", path.display()))?;
    let model = &installed.model;
    out!("installed {} in {}", model.id, model.dir.display());
    if let Some(entry) = installer
        .catalog
        .get(&model.id)
        .filter(|m| m.license_note.is_some())
    {
        out!("note: {} is licensed {}", model.id, entry.license_label());
    }
    Ok(ExitCode::SUCCESS)
}

fn waiting_notice(event: Event) {
    if let Event::WaitingForLock { id } = event {
        say!("waiting for another noi that is installing {id}…");
    }
}

/// The progress bar (only drawn on a terminal) and plain notices for everything else.
struct Progress {
    bar: ProgressBar,
}

impl Progress {
    fn new() -> Progress {
        let bar = ProgressBar::new(0);
        let style = ProgressStyle::with_template(
            "{msg:12} [{bar:32}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )
        .expect("a valid template")
        .progress_chars("=> ");
        bar.set_style(style);
        bar.set_message("downloading");
        Progress { bar }
    }

    fn show(&mut self, event: Event) {
        match event {
            Event::WaitingForLock { .. } => waiting_notice(event),
            Event::Connecting { from, .. } if from > 0 => {
                self.notice(&format!("resuming the download at {}", megabytes(from)));
            }
            Event::Connecting { .. } => {}
            Event::Downloaded { done, total } => {
                if let Some(total) = total {
                    self.bar.set_length(total);
                }
                self.bar.set_position(done);
            }
            Event::Retrying {
                failures,
                delay,
                reason,
            } => {
                self.notice(&format!(
                    "download failed ({reason}); retry {failures} in {:.1} s",
                    delay.as_secs_f64()
                ));
            }
            Event::Verifying => self.bar.set_message("verifying"),
            Event::Extracting => self.bar.set_message("unpacking"),
            Event::Installed { .. } => {}
        }
    }

    fn notice(&self, text: &str) {
        if self.bar.is_hidden() {
            say!("{text}");
        } else {
            self.bar.println(text);
        }
    }

    fn done(&self) {
        self.bar.finish_and_clear();
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        // Never leave a half-drawn bar behind an error message.
        self.bar.finish_and_clear();
    }
}
