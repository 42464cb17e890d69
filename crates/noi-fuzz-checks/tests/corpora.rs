//! Replays every committed fuzz corpus (`fuzz/corpus/<target>/`) through its target's checks:
//! the inputs libFuzzer found interesting, and any that once crashed a parser (kept as
//! `crash-*` regression inputs), must pass on every run.

use std::path::PathBuf;
use std::time::Instant;

use noi_fuzz_checks::TARGETS;

fn corpus(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target)
}

#[test]
fn every_target_passes_its_corpus() {
    for (target, check) in TARGETS {
        let started = Instant::now();
        let mut inputs: Vec<_> = std::fs::read_dir(corpus(target))
            .unwrap_or_else(|e| panic!("{target}: no corpus ({e})"))
            .map(|entry| entry.unwrap().path())
            .collect();
        inputs.sort();
        assert!(!inputs.is_empty(), "{target}: the corpus is empty");
        for input in &inputs {
            let data = std::fs::read(input).unwrap();
            let outcome = std::panic::catch_unwind(|| check(&data));
            assert!(outcome.is_ok(), "{target}: {} fails", input.display());
        }
        println!(
            "{target}: {} inputs in {:.2} s",
            inputs.len(),
            started.elapsed().as_secs_f64()
        );
    }
}
