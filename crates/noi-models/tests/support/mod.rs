//! Test support shared by noi-models' and noi-cli's tests: a local HTTP server, model archives
//! in the sherpa-onnx layout built at test time, and catalogs pinning them.

#![allow(dead_code)]

pub mod server;

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The URL prefix test catalogs use; NOI_MODEL_MIRROR (or `mirror`) replaces it.
pub const RELEASE_PREFIX: &str = "https://github.com/k2-fsa/sherpa-onnx/releases/download/";

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The tiny real model committed with the engine's tests.
pub fn tiny_model() -> PathBuf {
    workspace_root().join("crates/noi-engine/tests/data/tiny-model")
}

/// `../shared/models/<name>` beside the repository; None (skip) unless NOI_REQUIRE_ALL=1.
pub fn replica(name: &str) -> Option<PathBuf> {
    let base = std::env::var_os("NOI_SHARED_MODELS")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("../shared/models"));
    let dir = base.join(name);
    if dir.is_dir() {
        return Some(dir);
    }
    let reason = format!("replica model {name} not found under {}", base.display());
    if std::env::var("NOI_REQUIRE_ALL").is_ok_and(|v| v == "1") {
        panic!("required test input missing: {reason}");
    }
    eprintln!("SKIPPED: {reason}");
    None
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One pinned file as the catalog lists it.
#[derive(Debug, Clone)]
pub struct Pin {
    pub name: String,
    pub size: u64,
    pub sha256: String,
}

/// A .tar.bz2 in memory, with the pins of the model files inside.
#[derive(Debug, Clone)]
pub struct Archive {
    pub bytes: Vec<u8>,
    pub files: Vec<Pin>,
}

impl Archive {
    pub fn sha256(&self) -> String {
        sha256_hex(&self.bytes)
    }

    pub fn write_to(&self, path: &Path) {
        std::fs::write(path, &self.bytes).unwrap();
    }
}

/// How one raw tar entry looks (for archives no honest tool would make).
pub enum Raw<'a> {
    File(&'a str, &'a [u8]),
    Dir(&'a str),
    Symlink(&'a str, &'a str),
}

/// The model files of `model_dir` as sherpa-onnx ships them: a top folder `top/` with the
/// files, plus `test_wavs/0.wav` and `README.md`, which must not be installed.
pub fn sherpa_archive(model_dir: &Path, top: &str) -> Archive {
    let mut names: Vec<String> = std::fs::read_dir(model_dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().into_string().unwrap())
        .collect();
    names.sort();
    let contents: Vec<(String, Vec<u8>)> = names
        .iter()
        .map(|n| (n.clone(), std::fs::read(model_dir.join(n)).unwrap()))
        .collect();
    let mut entries = vec![Raw::Dir(top)];
    let paths: Vec<String> = contents.iter().map(|(n, _)| format!("{top}/{n}")).collect();
    for ((_, data), path) in contents.iter().zip(&paths) {
        entries.push(Raw::File(path, data));
    }
    let (wav, readme) = (format!("{top}/test_wavs/0.wav"), format!("{top}/README.md"));
    entries.push(Raw::Dir(&wav[..wav.len() - 6]));
    entries.push(Raw::File(&wav, b"RIFF....WAVE (not installed)"));
    entries.push(Raw::File(&readme, b"# a model\n"));
    let files = contents
        .iter()
        .map(|(name, data)| Pin {
            name: name.clone(),
            size: data.len() as u64,
            sha256: sha256_hex(data),
        })
        .collect();
    Archive {
        bytes: tar_bz2(&entries),
        files,
    }
}

/// Builds a .tar.bz2 from raw entries, writing names into the header as given (the tar crate's
/// own path setters refuse `..` and absolute paths, which is what we need to test).
pub fn tar_bz2(entries: &[Raw]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for entry in entries {
        let mut header = tar::Header::new_gnu();
        let (path, data, kind): (&str, &[u8], tar::EntryType) = match entry {
            Raw::File(path, data) => (path, data, tar::EntryType::Regular),
            Raw::Dir(path) => (path, &[], tar::EntryType::Directory),
            Raw::Symlink(path, target) => {
                header.set_link_name(target).unwrap();
                (path, &[], tar::EntryType::Symlink)
            }
        };
        let name = &mut header.as_old_mut().name;
        assert!(path.len() < name.len(), "test paths fit the old header");
        name[..path.len()].copy_from_slice(path.as_bytes());
        header.set_entry_type(kind);
        header.set_size(data.len() as u64);
        header.set_mode(if kind == tar::EntryType::Directory {
            0o755
        } else {
            0o644
        });
        header.set_mtime(1_700_000_000);
        header.set_cksum();
        builder.append(&header, data).unwrap();
    }
    let tar = builder.into_inner().unwrap();
    let mut encoder = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    encoder.write_all(&tar).unwrap();
    encoder.finish().unwrap()
}

/// One catalog entry for a test catalog.
pub struct Entry<'a> {
    pub id: &'a str,
    pub archive_name: &'a str,
    pub archive: &'a Archive,
    /// Pin the archive's size and hash (false: only the files are pinned, like `zipformer-vi`).
    pub pin_archive: bool,
    pub license: &'a str,
    pub license_note: Option<&'a str>,
}

impl<'a> Entry<'a> {
    pub fn new(id: &'a str, archive_name: &'a str, archive: &'a Archive) -> Self {
        Entry {
            id,
            archive_name,
            archive,
            pin_archive: true,
            license: "Apache-2.0",
            license_note: None,
        }
    }
}

/// A catalog TOML whose URLs are under [`RELEASE_PREFIX`]`asr-models/`; the first is default.
pub fn catalog_toml(entries: &[Entry]) -> String {
    let mut text = format!(
        "default = \"{}\"\nrelease_prefix = \"{RELEASE_PREFIX}\"\n",
        entries[0].id
    );
    for e in entries {
        text += &format!(
            "\n[[model]]\nid = \"{}\"\nname = \"Test model {}\"\ndescription = \"made by the tests\"\n\
             license = \"{}\"\nurl = \"{RELEASE_PREFIX}asr-models/{}\"\n",
            e.id, e.id, e.license, e.archive_name
        );
        if let Some(note) = e.license_note {
            text += &format!("license_note = \"{note}\"\n");
        }
        if e.pin_archive {
            text += &format!(
                "archive_size = {}\narchive_sha256 = \"{}\"\n",
                e.archive.bytes.len(),
                e.archive.sha256()
            );
        }
        text += "files = [\n";
        for f in &e.archive.files {
            text += &format!(
                "  {{ name = \"{}\", size = {}, sha256 = \"{}\" }},\n",
                f.name, f.size, f.sha256
            );
        }
        text += "]\n";
    }
    text
}

/// A seed for "random" choices, printed so that a failure can be replayed with NOI_TEST_SEED.
pub fn seed() -> u64 {
    let seed = std::env::var("NOI_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos() as u64
        });
    eprintln!("NOI_TEST_SEED={seed}");
    seed
}
