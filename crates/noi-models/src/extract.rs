//! Unpacking a model archive (.tar.bz2, sherpa-onnx layout: one top folder holding the model
//! files, test_wavs/ and a README) into a folder, safely: every entry's path is checked before
//! anything is written, links and special files refuse the whole archive, and only the files
//! the model needs are written, flattened out of the top folder.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::{Component, Path};

use sha2::{Digest, Sha256};

use crate::catalog::PinnedFile;
use crate::error::{ModelError, Result, io};

/// Which archive files to install.
#[derive(Debug, Clone, Copy)]
pub enum Selection<'a> {
    /// Exactly the files a catalog entry pins.
    Pinned(&'a [PinnedFile]),
    /// An archive not in the catalog: what the engine loads (`*.onnx`, `tokens.txt`, `bpe.model`).
    RuntimeFiles,
}

impl Selection<'_> {
    pub fn wants(&self, name: &str) -> bool {
        match self {
            Selection::Pinned(files) => files.iter().any(|f| f.name == name),
            Selection::RuntimeFiles => is_runtime_file(name),
        }
    }
}

pub fn is_runtime_file(name: &str) -> bool {
    name.ends_with(".onnx") || name == "tokens.txt" || name == "bpe.model"
}

/// The kinds of tar entry we tell apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Directory,
    /// Symlinks and hard links: they could point outside the model folder.
    Link,
    /// A GNU sparse file (`tar --sparse`): mostly holes, which a model file never is.
    Sparse,
    /// Devices and FIFOs, and anything else we do not know.
    Special,
}

/// What to do with one entry.
#[derive(Debug, PartialEq, Eq)]
pub enum EntryPlan {
    /// Write it as this plain file name in the model folder.
    Install(String),
    Skip,
}

/// Decides an entry from its path and kind alone. The top folder is flattened away; files
/// deeper down (test_wavs/…) are never installed. Unsafe entries are errors, not skips: an
/// archive that carries one is not what the catalog describes.
pub fn plan_entry(
    path: &Path,
    kind: EntryKind,
    wanted: &dyn Fn(&str) -> bool,
) -> Result<EntryPlan, &'static str> {
    let mut parts = Vec::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => {
                parts.push(part.to_str().ok_or("has a name that is not UTF-8")?)
            }
            Component::CurDir => {}
            Component::ParentDir => return Err("climbs out with `..`"),
            Component::RootDir | Component::Prefix(_) => return Err("has an absolute path"),
        }
    }
    match kind {
        EntryKind::Link => return Err("is a link"),
        EntryKind::Sparse => {
            return Err(
                "is stored as a sparse file (`tar --sparse`): model files have no holes; \
                        pack the archive again without --sparse",
            );
        }
        EntryKind::Special => return Err("is a device, FIFO or other special file"),
        EntryKind::Directory => return Ok(EntryPlan::Skip),
        EntryKind::File => {}
    }
    let name = match parts.as_slice() {
        [name] | [_, name] => *name,
        _ => return Ok(EntryPlan::Skip),
    };
    Ok(if wanted(name) {
        EntryPlan::Install(name.to_string())
    } else {
        EntryPlan::Skip
    })
}

fn entry_kind(kind: tar::EntryType) -> EntryKind {
    use tar::EntryType as T;
    match kind {
        T::Regular | T::Continuous => EntryKind::File,
        T::Directory => EntryKind::Directory,
        T::Symlink | T::Link => EntryKind::Link,
        T::GNUSparse => EntryKind::Sparse,
        _ => EntryKind::Special,
    }
}

/// Extracts the selected files of `archive` into `dest` (an empty folder) and returns each
/// written file with its size and SHA-256, hashed as it was written.
pub fn extract(
    archive: &Path,
    dest: &Path,
    selection: Selection,
    fail_write_after: Option<u64>,
) -> Result<Vec<PinnedFile>> {
    let file = File::open(archive).map_err(io("open", archive))?;
    let decoder = bzip2::read::BzDecoder::new(BufReader::new(file));
    extract_tar(decoder, archive, dest, selection, fail_write_after)
}

/// [`extract`] from an already decompressed tar stream; `archive` names it in messages. The
/// fuzz target `archive` drives it with arbitrary bytes.
pub fn extract_tar(
    stream: impl Read,
    archive: &Path,
    dest: &Path,
    selection: Selection,
    fail_write_after: Option<u64>,
) -> Result<Vec<PinnedFile>> {
    let mut tar = tar::Archive::new(stream);
    let corrupt = |e: std::io::Error| ModelError::NotAModel {
        path: archive.to_path_buf(),
        reason: format!("it is not a readable .tar.bz2 archive ({e})"),
    };
    let mut written = Vec::new();
    let mut names = HashSet::new();
    let mut budget = fail_write_after;
    for entry in tar.entries().map_err(corrupt)? {
        let mut entry = entry.map_err(corrupt)?;
        let path = entry.path().map_err(corrupt)?.into_owned();
        let unsafe_entry = |reason| ModelError::UnsafeArchive {
            archive: archive.to_path_buf(),
            entry: path.display().to_string(),
            reason,
        };
        let kind = entry_kind(entry.header().entry_type());
        let plan = plan_entry(&path, kind, &|n| selection.wants(n)).map_err(unsafe_entry)?;
        let EntryPlan::Install(name) = plan else {
            continue;
        };
        if !names.insert(name.clone()) {
            return Err(unsafe_entry(
                "appears twice after flattening the top folder",
            ));
        }
        let target = dest.join(&name);
        let (size, sha256) =
            write_hashed(&mut entry, &target, &mut budget).map_err(|e| match e.kind() {
                std::io::ErrorKind::StorageFull | std::io::ErrorKind::PermissionDenied => {
                    io("write", &target)(e)
                }
                _ if target.exists() => io("write", &target)(e),
                _ => corrupt(e),
            })?;
        written.push(PinnedFile { name, size, sha256 });
    }
    Ok(written)
}

/// Copies `reader` into a new file at `target`, hashing on the way.
fn write_hashed(
    reader: &mut impl Read,
    target: &Path,
    budget: &mut Option<u64>,
) -> std::io::Result<(u64, String)> {
    // create_new: never write through something already there.
    let mut out = File::options().write(true).create_new(true).open(target)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        spend(budget, n)?;
        out.write_all(&buf[..n])?;
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    out.sync_all()?;
    Ok((size, hex(&hasher.finalize())))
}

/// The test hook: fail a write once the budget of bytes is used up.
fn spend(budget: &mut Option<u64>, n: usize) -> std::io::Result<()> {
    if let Some(left) = budget {
        if *left < n as u64 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::StorageFull,
                "injected write failure (test hook)",
            ));
        }
        *left -= n as u64;
    }
    Ok(())
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 and size of a file on disk.
pub fn hash_file(path: &Path) -> Result<(u64, String)> {
    let mut file = File::open(path).map_err(io("open", path))?;
    let mut hasher = Sha256::new();
    let size = std::io::copy(&mut file, &mut hasher).map_err(io("read", path))?;
    Ok((size, hex(&hasher.finalize())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(path: &str, kind: EntryKind) -> Result<EntryPlan, &'static str> {
        plan_entry(Path::new(path), kind, &is_runtime_file)
    }

    fn install(name: &str) -> Result<EntryPlan, &'static str> {
        Ok(EntryPlan::Install(name.to_string()))
    }

    #[test]
    fn the_top_folder_is_flattened_and_extras_skipped() {
        let top = "sherpa-onnx-zipformer-vi-int8-2025-04-20";
        assert_eq!(
            plan(&format!("{top}/encoder.int8.onnx"), EntryKind::File),
            install("encoder.int8.onnx")
        );
        assert_eq!(
            plan(&format!("./{top}/tokens.txt"), EntryKind::File),
            install("tokens.txt")
        );
        assert_eq!(plan("bpe.model", EntryKind::File), install("bpe.model"));
        assert_eq!(
            plan(&format!("{top}/README.md"), EntryKind::File),
            Ok(EntryPlan::Skip)
        );
        assert_eq!(
            plan(&format!("{top}/test_wavs/0.wav"), EntryKind::File),
            Ok(EntryPlan::Skip)
        );
        // Deeper .onnx files are not the model's.
        assert_eq!(
            plan(&format!("{top}/old/encoder.onnx"), EntryKind::File),
            Ok(EntryPlan::Skip)
        );
        assert_eq!(plan(top, EntryKind::Directory), Ok(EntryPlan::Skip));
    }

    #[test]
    fn unsafe_entries_are_refused() {
        assert_eq!(
            plan("/etc/passwd", EntryKind::File),
            Err("has an absolute path")
        );
        assert_eq!(
            plan("top/../../x.onnx", EntryKind::File),
            Err("climbs out with `..`")
        );
        assert_eq!(
            plan("../x.onnx", EntryKind::File),
            Err("climbs out with `..`")
        );
        // Refused even where the file would have been skipped.
        assert_eq!(
            plan("top/test_wavs/link", EntryKind::Link),
            Err("is a link")
        );
        assert_eq!(plan("top/encoder.onnx", EntryKind::Link), Err("is a link"));
        assert!(plan("top/dev", EntryKind::Special).is_err());
        let sparse = plan("top/encoder.onnx", EntryKind::Sparse).unwrap_err();
        assert!(
            sparse.contains("sparse") && !sparse.contains("FIFO"),
            "{sparse}"
        );
        assert_eq!(entry_kind(tar::EntryType::GNUSparse), EntryKind::Sparse);
        assert!(plan("top/..", EntryKind::Directory).is_err());
    }

    #[test]
    fn pinned_selection_takes_only_the_listed_names() {
        let files = [PinnedFile {
            name: "tokens.txt".into(),
            size: 1,
            sha256: "0".repeat(64),
        }];
        let selection = Selection::Pinned(&files);
        assert!(selection.wants("tokens.txt"));
        assert!(!selection.wants("encoder.onnx"));
        assert!(Selection::RuntimeFiles.wants("joiner.int8.onnx"));
        assert!(!Selection::RuntimeFiles.wants("README.md"));
    }

    #[test]
    fn write_budget() {
        let mut budget = Some(10);
        assert!(spend(&mut budget, 6).is_ok());
        assert!(spend(&mut budget, 5).is_err());
        assert!(spend(&mut None, usize::MAX).is_ok());
    }
}
