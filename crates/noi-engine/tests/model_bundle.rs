//! Model bundles on disk: file discovery, sizes read from the ONNX files, clear errors.

mod common;

use std::path::Path;

use noi_engine::EngineError;
use noi_engine::model::{ModelFiles, ModelOptions, Transducer};

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

#[test]
fn sherpa_archive_names_are_found_and_int8_is_preferred() {
    let int8 = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tiny-model-int8");
    let files = ModelFiles::discover(&int8).unwrap();
    assert!(files.encoder.ends_with("encoder-epoch-12-avg-8.int8.onnx"));
    assert!(files.decoder.ends_with("decoder-epoch-12-avg-8.onnx"));
    assert!(files.joiner.ends_with("joiner-epoch-12-avg-8.int8.onnx"));
    assert!(files.encoder_is_int8());

    // Both precisions side by side: int8 wins; fp32 is used when it is the only one.
    let both = tempfile::tempdir().unwrap();
    copy_dir(&common::tiny_model(), both.path());
    copy_dir(&int8, both.path());
    let files = ModelFiles::discover(both.path()).unwrap();
    assert!(files.encoder.ends_with("encoder-epoch-12-avg-8.int8.onnx"));
    assert!(
        files.decoder.ends_with("decoder-epoch-12-avg-8.onnx")
            || files.decoder.ends_with("decoder.onnx")
    );
    let fp32 = ModelFiles::discover(&common::tiny_model()).unwrap();
    assert!(fp32.encoder.ends_with("encoder.onnx") && !fp32.encoder_is_int8());
}

/// (vocab_size, context_size, joiner_dim, feature_dim) of a loaded bundle.
fn dims_of(dir: &Path) -> (usize, usize, usize, usize) {
    let model = Transducer::load(dir, ModelOptions { threads: 1 }).unwrap();
    let dims = model.dims();
    assert_eq!(model.tokens().len(), dims.vocab_size);
    (
        dims.vocab_size,
        dims.context_size,
        dims.joiner_dim,
        dims.feature_dim,
    )
}

#[test]
fn sizes_come_from_the_onnx_files() {
    assert_eq!(dims_of(&common::tiny_model()), (50, 2, 16, 80));
    for name in [common::M_REPLICA, common::S_REPLICA] {
        let Some(dir) = common::replica(name) else {
            return;
        };
        assert_eq!(dims_of(&dir), (2000, 2, 512, 80), "{name}");
    }
}

fn load_error(dir: &Path) -> String {
    match Transducer::load(dir, ModelOptions { threads: 1 }) {
        Ok(_) => panic!("{} loaded but should not", dir.display()),
        Err(e) => e.to_string(),
    }
}

#[test]
fn missing_truncated_and_mismatched_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&common::tiny_model(), dir.path());
    std::fs::remove_file(dir.path().join("tokens.txt")).unwrap();
    assert!(load_error(dir.path()).contains("tokens.txt"));

    for part in ["encoder", "decoder", "joiner"] {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&common::tiny_model(), dir.path());
        let file = dir.path().join(format!("{part}.onnx"));
        let bytes = std::fs::read(&file).unwrap();
        std::fs::write(&file, &bytes[..bytes.len() / 3]).unwrap();
        let message = load_error(dir.path());
        assert!(message.contains(&format!("{part}.onnx")), "{message}");
        assert!(message.contains("truncated or corrupt"), "{message}");
    }

    // A joiner from another model (different vocabulary) is caught before any audio runs.
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&common::tiny_model(), dir.path());
    let tokens: String = (0..60).map(|i| format!("t{i} {i}\n")).collect();
    std::fs::write(dir.path().join("tokens.txt"), tokens).unwrap();
    let message = load_error(dir.path());
    assert!(
        message.contains("tokens.txt")
            && message.contains("60 tokens")
            && message.contains("vocab_size is 50"),
        "{message}"
    );

    let empty = tempfile::tempdir().unwrap();
    assert!(matches!(
        Transducer::load(empty.path(), ModelOptions { threads: 1 }),
        Err(EngineError::ModelFileMissing { .. })
    ));
}
