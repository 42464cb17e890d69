//! The model archive extractor on an arbitrary tar stream (the bzip2 layer is a well-used
//! crate; what we wrote is the tar walk and its safety checks). Whatever it writes must be a
//! plain file directly inside the destination folder, named as it reports.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use noi_models::extract::{Selection, extract_tar};

fuzz_target!(|data: &[u8]| {
    let dest = tempfile::tempdir().expect("a temporary folder");
    let written = extract_tar(
        data,
        Path::new("fuzz.tar"),
        dest.path(),
        Selection::RuntimeFiles,
        Some(64 << 20),
    );
    let on_disk: Vec<_> = std::fs::read_dir(dest.path())
        .expect("the folder is there")
        .map(|e| e.expect("an entry"))
        .collect();
    for entry in &on_disk {
        let kind = entry.file_type().expect("a type");
        assert!(kind.is_file(), "only plain files: {:?}", entry.path());
    }
    if let Ok(files) = written {
        assert_eq!(files.len(), on_disk.len());
        for file in files {
            assert!(!file.name.contains('/'), "{:?} is flat", file.name);
            assert!(dest.path().join(&file.name).is_file());
        }
    }
});
