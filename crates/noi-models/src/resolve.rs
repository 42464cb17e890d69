//! Which model a command uses: `--model-dir DIR`, else `--model ID`, else the default one.

use std::path::{Path, PathBuf};

use crate::catalog::Catalog;
use crate::error::{ModelError, Result};
use crate::store::ModelStore;

/// The model a command will load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedModel {
    /// The catalog id, or for `--model-dir` the folder's name.
    pub id: String,
    pub dir: PathBuf,
}

/// Resolves with the default store (`NOI_DATA_DIR`) and catalog (`NOI_CATALOG`).
/// `model_dir` wins over `model_id`; with neither, the default installed model is used, and
/// with none installed the error is [`ModelError::NoModelInstalled`], which names the fix.
pub fn resolve_model(model_dir: Option<&Path>, model_id: Option<&str>) -> Result<ResolvedModel> {
    if let Some(dir) = model_dir {
        return Ok(from_dir(dir));
    }
    let store = ModelStore::open_default()?;
    match model_id {
        Some(id) => resolve_id(&store, &Catalog::load_default()?, id),
        None => resolve_default(&store, &Catalog::load_default()?),
    }
}

fn from_dir(dir: &Path) -> ResolvedModel {
    let id = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| dir.display().to_string());
    ResolvedModel {
        id,
        dir: dir.to_path_buf(),
    }
}

/// Model `id`, which must be installed.
pub fn resolve_id(store: &ModelStore, catalog: &Catalog, id: &str) -> Result<ResolvedModel> {
    match store.path_of(id) {
        Some(dir) => Ok(ResolvedModel {
            id: id.to_string(),
            dir,
        }),
        None if catalog.get(id).is_some() => Err(ModelError::NotInstalled { id: id.to_string() }),
        None => Err(ModelError::UnknownModel {
            id: id.to_string(),
            known: catalog.ids().join(", "),
        }),
    }
}

/// The default model when installed, else the first installed in catalog order, else any.
pub fn resolve_default(store: &ModelStore, catalog: &Catalog) -> Result<ResolvedModel> {
    let installed: Vec<String> = store.installed().into_iter().map(|m| m.id).collect();
    let id = choose_default(&installed, &catalog.ids(), &catalog.default).ok_or_else(|| {
        ModelError::NoModelInstalled {
            models_dir: store.models_dir(),
            default_id: catalog.default.clone(),
        }
    })?;
    resolve_id(store, catalog, id)
}

/// The choice itself, on ids alone.
pub fn choose_default<'a>(
    installed: &'a [String],
    catalog_order: &[&str],
    default: &str,
) -> Option<&'a str> {
    let find = |id: &str| installed.iter().find(|i| *i == id).map(String::as_str);
    find(default)
        .or_else(|| catalog_order.iter().find_map(|id| find(id)))
        .or_else(|| installed.first().map(String::as_str))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn default_choice() {
        let order = ["big", "small", "fp32"];
        assert_eq!(
            choose_default(&ids(&["small", "big"]), &order, "big"),
            Some("big")
        );
        assert_eq!(
            choose_default(&ids(&["fp32", "small"]), &order, "big"),
            Some("small")
        );
        assert_eq!(
            choose_default(&ids(&["mine", "other"]), &order, "big"),
            Some("mine")
        );
        assert_eq!(
            choose_default(&ids(&["mine", "fp32"]), &order, "big"),
            Some("fp32")
        );
        assert_eq!(choose_default(&[], &order, "big"), None);
    }

    #[test]
    fn nothing_installed_names_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let store = ModelStore::at(dir.path());
        let catalog = Catalog::parse(crate::catalog::DEFAULT_CATALOG, "built-in").unwrap();
        let err = resolve_default(&store, &catalog).unwrap_err();
        assert!(matches!(err, ModelError::NoModelInstalled { .. }));
        let message = err.to_string();
        assert!(
            message.contains("noi models download zipformer-vi-int8"),
            "{message}"
        );
        assert!(message.contains("noi models install FILE"), "{message}");
        let err = resolve_id(&store, &catalog, "zipformer-vi")
            .unwrap_err()
            .to_string();
        assert!(err.contains("noi models download zipformer-vi`"), "{err}");
        let err = resolve_id(&store, &catalog, "nope")
            .unwrap_err()
            .to_string();
        assert!(err.contains("noi models list"), "{err}");
    }

    #[test]
    fn a_model_dir_is_taken_as_is() {
        let resolved = resolve_model(Some(Path::new("/x/tiny-model")), Some("ignored")).unwrap();
        assert_eq!(resolved.id, "tiny-model");
        assert_eq!(resolved.dir, Path::new("/x/tiny-model"));
    }
}
