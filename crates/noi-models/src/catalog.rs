//! The catalog: which models can be downloaded, from where, and the SHA-256 of every byte we
//! accept. The default one is `models/catalog.toml`, compiled in; `NOI_CATALOG` (or the CLI's
//! `--catalog`) points at another file or URL, for mirrors and tests.

use std::path::Path;

use serde::Deserialize;

use crate::error::{ModelError, Result};

/// The catalog shipped with this build.
pub const DEFAULT_CATALOG: &str = include_str!("../../../models/catalog.toml");

/// Environment variable naming a catalog file or URL to use instead of the built-in one.
pub const CATALOG_ENV: &str = "NOI_CATALOG";

/// Environment variable with a base URL that replaces the catalog's `release_prefix`.
pub const MIRROR_ENV: &str = "NOI_MODEL_MIRROR";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    /// Id of the model used when none is asked for and it is installed.
    pub default: String,
    /// The part of archive URLs that `NOI_MODEL_MIRROR` replaces.
    #[serde(default)]
    pub release_prefix: String,
    #[serde(rename = "model")]
    pub models: Vec<CatalogModel>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogModel {
    pub id: String,
    pub name: String,
    pub description: String,
    /// SPDX identifier.
    pub license: String,
    /// A restriction users must see wherever the model is offered (e.g. "non-commercial use only").
    #[serde(default)]
    pub license_note: Option<String>,
    pub url: String,
    #[serde(default)]
    pub archive_size: Option<u64>,
    #[serde(default)]
    pub archive_sha256: Option<String>,
    /// Every file that is installed; nothing else from the archive is.
    pub files: Vec<PinnedFile>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct PinnedFile {
    pub name: String,
    pub size: u64,
    pub sha256: String,
}

impl CatalogModel {
    /// Bytes on disk once installed.
    pub fn installed_size(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }

    /// The licence as users must see it: `CC-BY-NC-ND-4.0 (non-commercial use only)`.
    pub fn license_label(&self) -> String {
        match &self.license_note {
            Some(note) => format!("{} ({note})", self.license),
            None => self.license.clone(),
        }
    }

    /// The archive's file name, the last segment of its URL.
    pub fn archive_name(&self) -> &str {
        self.url.rsplit('/').next().unwrap_or(&self.url)
    }
}

impl Catalog {
    /// `NOI_CATALOG` when set, else the built-in catalog.
    pub fn load_default() -> Result<Catalog> {
        match std::env::var(CATALOG_ENV) {
            Ok(source) if !source.is_empty() => Catalog::load(&source),
            _ => Catalog::parse(DEFAULT_CATALOG, "built into noi"),
        }
    }

    /// Loads a catalog from a file path or an http(s) URL.
    pub fn load(source: &str) -> Result<Catalog> {
        let text = if is_url(source) {
            crate::download::fetch_text(source)?
        } else {
            std::fs::read_to_string(Path::new(source)).map_err(|e| ModelError::Catalog {
                source_name: source.to_string(),
                reason: format!("cannot read it ({e})"),
            })?
        };
        Catalog::parse(&text, source)
    }

    /// Parses and checks a catalog; `source_name` is only for messages.
    pub fn parse(text: &str, source_name: &str) -> Result<Catalog> {
        let invalid = |reason: String| ModelError::Catalog {
            source_name: source_name.to_string(),
            reason,
        };
        let catalog: Catalog = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        catalog.check().map_err(invalid)?;
        Ok(catalog)
    }

    pub fn get(&self, id: &str) -> Option<&CatalogModel> {
        self.models.iter().find(|m| m.id == id)
    }

    /// Like [`Catalog::get`], with the error that lists what is known.
    pub fn require(&self, id: &str) -> Result<&CatalogModel> {
        self.get(id).ok_or_else(|| ModelError::UnknownModel {
            id: id.to_string(),
            known: self.ids().join(", "),
        })
    }

    pub fn ids(&self) -> Vec<&str> {
        self.models.iter().map(|m| m.id.as_str()).collect()
    }

    /// The URL to download `model` from, through `mirror` when one is set.
    pub fn download_url(&self, model: &CatalogModel, mirror: Option<&str>) -> String {
        match mirror {
            Some(mirror) if !mirror.is_empty() => {
                mirror_url(&model.url, &self.release_prefix, mirror)
            }
            _ => model.url.clone(),
        }
    }

    fn check(&self) -> std::result::Result<(), String> {
        let mut seen = std::collections::HashSet::new();
        for model in &self.models {
            check_model(model)?;
            if !seen.insert(model.id.as_str()) {
                return Err(format!("model id {} appears twice", model.id));
            }
        }
        if self.get(&self.default).is_none() {
            return Err(format!("the default model {} is not listed", self.default));
        }
        Ok(())
    }
}

fn check_model(model: &CatalogModel) -> std::result::Result<(), String> {
    let id = &model.id;
    if !is_valid_id(id) {
        return Err(format!(
            "model id {id:?} has characters other than a-z, 0-9, '.', '_', '-'"
        ));
    }
    if !is_url(&model.url) {
        return Err(format!("model {id}: url {:?} is not http(s)", model.url));
    }
    if model.files.is_empty() {
        return Err(format!("model {id} lists no files"));
    }
    let hashes = model
        .files
        .iter()
        .map(|f| (f.name.as_str(), f.sha256.as_str()));
    for (what, hash) in hashes.chain(model.archive_sha256.as_deref().map(|h| ("archive", h))) {
        if !is_sha256_hex(hash) {
            return Err(format!(
                "model {id}: {what} sha256 is not 64 lower-case hex digits"
            ));
        }
    }
    for file in &model.files {
        if !is_plain_file_name(&file.name) {
            return Err(format!(
                "model {id}: file name {:?} must be a plain name",
                file.name
            ));
        }
    }
    Ok(())
}

pub(crate) fn is_url(source: &str) -> bool {
    source.starts_with("http://") || source.starts_with("https://")
}

/// Model ids become directory names: keep them short and boring.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 100
        && !id.starts_with('.')
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
}

fn is_sha256_hex(hash: &str) -> bool {
    hash.len() == 64
        && hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A single path component that cannot escape its directory.
pub(crate) fn is_plain_file_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0'])
}

/// Replaces `prefix` in `url` by `mirror`. A URL outside the prefix keeps only its file name,
/// so that a mirror can be a flat folder of archives.
pub fn mirror_url(url: &str, prefix: &str, mirror: &str) -> String {
    let base = mirror.trim_end_matches('/');
    match url.strip_prefix(prefix).filter(|_| !prefix.is_empty()) {
        Some(rest) => format!("{base}/{}", rest.trim_start_matches('/')),
        None => format!("{base}/{}", url.rsplit('/').next().unwrap_or(url)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_catalog_is_valid_and_pins_everything() {
        let catalog = Catalog::parse(DEFAULT_CATALOG, "built-in").unwrap();
        assert_eq!(catalog.default, "zipformer-vi-int8");
        assert_eq!(
            catalog.ids(),
            ["zipformer-vi-int8", "zipformer-vi-30m-int8", "zipformer-vi"]
        );
        let small = catalog.get("zipformer-vi-30m-int8").unwrap();
        assert_eq!(
            small.license_label(),
            "CC-BY-NC-ND-4.0 (non-commercial use only)"
        );
        assert_eq!(small.archive_size, Some(26_442_384));
        assert_eq!(catalog.get("zipformer-vi").unwrap().archive_sha256, None);
        let int8 = catalog.get("zipformer-vi-int8").unwrap();
        assert_eq!(
            int8.installed_size(),
            70_876_129 + 5_165_084 + 1_033_417 + 25_847 + 270_695
        );
        assert_eq!(
            int8.archive_name(),
            "sherpa-onnx-zipformer-vi-int8-2025-04-20.tar.bz2"
        );
    }

    #[test]
    fn mirror_replaces_the_release_prefix() {
        let prefix = "https://github.com/k2-fsa/sherpa-onnx/releases/download/";
        let url = format!("{prefix}asr-models/m.tar.bz2");
        assert_eq!(
            mirror_url(&url, prefix, "http://127.0.0.1:9/base/"),
            "http://127.0.0.1:9/base/asr-models/m.tar.bz2"
        );
        assert_eq!(
            mirror_url(&url, prefix, "http://127.0.0.1:9"),
            "http://127.0.0.1:9/asr-models/m.tar.bz2"
        );
        // Outside the prefix: the file name under the mirror.
        assert_eq!(
            mirror_url("https://example.org/x/y/m.tar.bz2", prefix, "http://h/"),
            "http://h/m.tar.bz2"
        );
        assert_eq!(mirror_url(&url, "", "http://h"), "http://h/m.tar.bz2");
    }

    #[test]
    fn bad_catalogs_are_refused_with_the_reason() {
        let model = |id: &str, hash: &str, name: &str| {
            format!(
                "[[model]]\nid = \"{id}\"\nname = \"n\"\ndescription = \"d\"\nlicense = \"MIT\"\n\
                 url = \"https://h/a.tar.bz2\"\nfiles = [{{ name = \"{name}\", size = 1, sha256 = \"{hash}\" }}]\n"
            )
        };
        let good = "a".repeat(64);
        let cases = [
            (
                format!("default = \"x\"\n{}", model("m", &good, "f")),
                "default model x",
            ),
            (
                format!("default = \"M\"\n{}", model("M", &good, "f")),
                "characters",
            ),
            (
                format!("default = \"m\"\n{}", model("m", "abc", "f")),
                "64 lower-case",
            ),
            (
                format!("default = \"m\"\n{}", model("m", &good, "../f")),
                "plain name",
            ),
            (
                format!(
                    "default = \"m\"\n{}{}",
                    model("m", &good, "f"),
                    model("m", &good, "f")
                ),
                "twice",
            ),
            ("default = \"m\"\nsurprise = 1\n".to_string(), "surprise"),
        ];
        for (text, needle) in cases {
            let err = Catalog::parse(&text, "test.toml").unwrap_err().to_string();
            assert!(err.contains(needle), "{err:?} lacks {needle:?}");
            assert!(err.contains("test.toml"), "{err}");
        }
    }

    #[test]
    fn ids() {
        for ok in ["zipformer-vi-int8", "a", "m.2_x"] {
            assert!(is_valid_id(ok), "{ok}");
        }
        for bad in ["", ".hidden", "a/b", "..", "UPPER", "sp ace", "é"] {
            assert!(!is_valid_id(bad), "{bad}");
        }
    }
}
