//! Nói's model manager: the pinned catalog (`models/catalog.toml`), verified resumable
//! downloads, offline installs, and the choice of the model a command uses.
//!
//! [`catalog`] says what exists and pins it, [`download`] fetches archives into partial files,
//! [`extract`] unpacks them safely, [`install`] checks and moves them into the [`store`], a
//! [`lock`] keeps installers apart, and [`resolve`] picks the model to load.
//!
//! Environment: `NOI_DATA_DIR` (data dir, models in `$NOI_DATA_DIR/models`), `NOI_CATALOG`
//! (catalog file or URL), `NOI_MODEL_MIRROR` (base URL replacing the release prefix), and for
//! tests `NOI_CONNECT_TIMEOUT_MS`, `NOI_STALL_TIMEOUT_MS`, `NOI_DOWNLOAD_RETRIES`, `NOI_BACKOFF_MS`.

pub mod catalog;
pub mod download;
pub mod error;
pub mod extract;
pub mod install;
pub mod lock;
pub mod progress;
pub mod resolve;
pub mod store;

pub use catalog::{Catalog, CatalogModel, PinnedFile};
pub use download::DownloadOptions;
pub use error::{ModelError, Result};
pub use install::{InstallOptions, Installed, Installer};
pub use progress::Event;
pub use resolve::{ResolvedModel, resolve_model};
pub use store::{DATA_DIR_ENV, InstalledModel, Manifest, ModelStore};
