//! Downloads and installs against a real local HTTP server, with real .tar.bz2 archives in the
//! sherpa-onnx layout made from the tiny model. Every test ends by checking the invariant:
//! a verified model, or no model at all (never a half-installed one).

mod support;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use noi_models::{Catalog, Event, InstallOptions, Installer, ModelError, ModelStore};
use support::server::{Behaviour, Server};
use support::{Archive, Entry, Raw, catalog_toml, sherpa_archive, tiny_model};

const ID: &str = "tiny";
const ARCHIVE: &str = "sherpa-onnx-tiny-2026-01-01.tar.bz2";

/// A data dir, a server holding the tiny model's archive, and a catalog pinning it.
struct World {
    _data: tempfile::TempDir,
    store: ModelStore,
    server: Server,
    archive: Archive,
    catalog: Catalog,
}

impl World {
    fn new() -> World {
        Self::with(|archive| catalog_toml(&[Entry::new(ID, ARCHIVE, archive)]))
    }

    fn with(make_catalog: impl FnOnce(&Archive) -> String) -> World {
        let data = tempfile::tempdir().unwrap();
        let store = ModelStore::at(data.path());
        let archive = sherpa_archive(&tiny_model(), "sherpa-onnx-tiny-2026-01-01");
        let server = Server::start();
        server.add(&format!("/asr-models/{ARCHIVE}"), archive.bytes.clone());
        let catalog = Catalog::parse(&make_catalog(&archive), "test catalog").unwrap();
        World {
            _data: data,
            store,
            server,
            archive,
            catalog,
        }
    }

    /// Fast timeouts and retries; downloads go through the server as a mirror.
    fn options(&self) -> InstallOptions {
        let mut options = InstallOptions {
            mirror: Some(self.server.base.clone()),
            ..Default::default()
        };
        let d = &mut options.download;
        d.connect_timeout = Duration::from_secs(2);
        d.stall_timeout = Duration::from_millis(300);
        d.retries = 2;
        d.backoff_base = Duration::from_millis(10);
        d.backoff_max = Duration::from_millis(40);
        options
    }

    fn installer(&self, options: InstallOptions) -> Installer<'_> {
        Installer {
            store: &self.store,
            catalog: &self.catalog,
            options,
        }
    }

    fn download(
        &self,
        options: InstallOptions,
    ) -> (Result<noi_models::Installed, ModelError>, Vec<Event>) {
        let mut events = Vec::new();
        let result = self
            .installer(options)
            .download(ID, &mut |e| events.push(e));
        (result, events)
    }

    fn partial(&self) -> std::path::PathBuf {
        self.store
            .models_dir()
            .join(".partial")
            .join(format!("{ID}.tar.bz2"))
    }

    fn archive_requests(&self) -> Vec<Option<String>> {
        let path = format!("/asr-models/{ARCHIVE}");
        self.server
            .requests()
            .into_iter()
            .filter(|(p, _)| *p == path)
            .map(|(_, r)| r)
            .collect()
    }

    /// The model is installed with exactly the pinned files (plus the manifest) and verifies.
    fn assert_verified_model(&self) {
        let dir = self.store.path_of(ID).expect("the model is installed");
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        let mut expected: Vec<String> = self.archive.files.iter().map(|f| f.name.clone()).collect();
        expected.push("noi-model.json".into());
        expected.sort();
        assert_eq!(
            names, expected,
            "only the pinned files, flattened; no README or test_wavs"
        );
        self.installer(self.options()).verify(ID).expect("verifies");
        noi_engine::model::Transducer::load(&dir, Default::default()).expect("the engine loads it");
        assert_no_leftovers(&self.store);
    }

    /// No model folder, and nothing staged.
    fn assert_no_model(&self) {
        assert!(self.store.path_of(ID).is_none(), "no model folder");
        assert!(self.store.installed().is_empty());
        assert_no_leftovers(&self.store);
    }
}

fn assert_no_leftovers(store: &ModelStore) {
    let staging = store.models_dir().join(".staging");
    let left: Vec<_> = std::fs::read_dir(&staging)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "staging left behind: {left:?}");
}

#[test]
fn full_download_installs_a_verified_model() {
    let world = World::new();
    let (result, events) = world.download(world.options());
    let installed = result.unwrap();
    assert!(!installed.already);
    world.assert_verified_model();
    assert!(
        !world.partial().exists(),
        "the partial is removed once installed"
    );
    let total = world.archive.bytes.len() as u64;
    assert!(events.contains(&Event::Downloaded {
        done: total,
        total: Some(total)
    }));
    assert!(matches!(events.last(), Some(Event::Installed { .. })));
    let manifest = installed.model.manifest.unwrap();
    assert_eq!(manifest.source, "catalog");
    assert_eq!(manifest.license.as_deref(), Some("Apache-2.0"));
    // Installed already: no second download.
    let (again, _) = world.download(world.options());
    assert!(again.unwrap().already);
    assert_eq!(world.archive_requests().len(), 1);
}

#[test]
fn the_catalog_url_is_used_without_a_mirror() {
    let world = World::new();
    // A catalog pointing straight at the server.
    let text = catalog_toml(&[Entry::new(ID, ARCHIVE, &world.archive)])
        .replace(support::RELEASE_PREFIX, &format!("{}/", world.server.base));
    let catalog = Catalog::parse(&text, "direct").unwrap();
    let mut options = world.options();
    options.mirror = None;
    let installer = Installer {
        store: &world.store,
        catalog: &catalog,
        options,
    };
    installer.download(ID, &mut |_| {}).unwrap();
    world.assert_verified_model();
}

#[test]
fn a_download_cut_at_a_random_byte_resumes_with_range() {
    let world = World::new();
    let len = world.archive.bytes.len() as u64;
    let cut = 1 + support::seed() % (len - 1);
    // No retries: the first call stops at the cut and keeps the partial.
    world.server.set(Behaviour {
        cut_at: Some(cut),
        cut_times: Some(1),
        ..Default::default()
    });
    let mut options = world.options();
    options.download.retries = 0;
    let (result, _) = world.download(options);
    let err = result.unwrap_err();
    assert!(matches!(err, ModelError::Network { .. }), "{err}");
    assert!(
        err.to_string().contains("resumes where it stopped"),
        "{err}"
    );
    assert_eq!(std::fs::metadata(world.partial()).unwrap().len(), cut);
    world.assert_no_model();
    // The next run asks only for the rest.
    let (result, events) = world.download(world.options());
    result.unwrap();
    assert!(events.contains(&Event::Connecting {
        url: world.server.url(&format!("/asr-models/{ARCHIVE}")),
        from: cut
    }));
    assert_eq!(
        world.archive_requests(),
        [None, Some(format!("bytes={cut}-"))]
    );
    world.assert_verified_model();
}

#[test]
fn cuts_are_retried_within_one_download() {
    let world = World::new();
    let len = world.archive.bytes.len() as u64;
    world.server.set(Behaviour {
        cut_at: Some(len / 3),
        cut_times: Some(1),
        ..Default::default()
    });
    let (result, events) = world.download(world.options());
    result.unwrap();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Retrying { failures: 1, .. }))
    );
    assert_eq!(
        world.archive_requests()[1],
        Some(format!("bytes={}-", len / 3))
    );
    world.assert_verified_model();
}

#[test]
fn a_server_that_ignores_range_restarts_from_zero() {
    let world = World::new();
    // A partial that is not even a prefix of the archive: only a restart can fix it.
    std::fs::create_dir_all(world.partial().parent().unwrap()).unwrap();
    std::fs::write(world.partial(), b"garbage").unwrap();
    world.server.set(Behaviour {
        ignore_range: true,
        ..Default::default()
    });
    let (result, _) = world.download(world.options());
    result.unwrap();
    assert_eq!(world.archive_requests(), [Some("bytes=7-".to_string())]);
    world.assert_verified_model();
}

#[test]
fn a_complete_partial_answered_416_is_checked_and_used_or_discarded() {
    // Without an archive size pin the client asks for more, and the server says 416.
    let unpinned = |archive: &Archive| {
        let mut entry = Entry::new(ID, ARCHIVE, archive);
        entry.pin_archive = false;
        catalog_toml(&[entry])
    };
    let world = World::with(unpinned);
    std::fs::create_dir_all(world.partial().parent().unwrap()).unwrap();
    world.archive.write_to(&world.partial());
    world.download(world.options()).0.unwrap();
    world.assert_verified_model();
    assert_eq!(world.archive_requests().len(), 1);

    // Same length, wrong bytes: the files fail their pins, the partial is discarded.
    let world = World::with(unpinned);
    let mut wrong = world.archive.bytes.clone();
    let middle = wrong.len() / 2;
    wrong[middle] ^= 0xff;
    std::fs::create_dir_all(world.partial().parent().unwrap()).unwrap();
    std::fs::write(world.partial(), wrong).unwrap();
    let err = world.download(world.options()).0.unwrap_err();
    assert!(
        matches!(
            err,
            ModelError::NotAModel { .. } | ModelError::Mismatch { .. }
        ),
        "{err}"
    );
    assert!(!world.partial().exists(), "a bad partial is discarded");
    world.assert_no_model();
}

#[test]
fn a_wrong_archive_hash_is_rejected_and_the_partial_discarded() {
    let world = World::with(|archive| {
        catalog_toml(&[Entry::new(ID, ARCHIVE, archive)])
            .replace(&archive.sha256(), &"0".repeat(64))
    });
    let err = world.download(world.options()).0.unwrap_err();
    assert!(matches!(err, ModelError::Mismatch { .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.contains(&world.archive.sha256()) && message.contains("deleted"),
        "{message}"
    );
    assert!(!world.partial().exists());
    world.assert_no_model();
}

#[test]
fn a_wrong_file_hash_is_rejected() {
    // The archive matches its pin but a file inside does not match its own.
    let world = World::with(|archive| {
        let tokens = archive
            .files
            .iter()
            .find(|f| f.name == "tokens.txt")
            .unwrap();
        catalog_toml(&[Entry::new(ID, ARCHIVE, archive)]).replace(&tokens.sha256, &"a".repeat(64))
    });
    let err = world.download(world.options()).0.unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, ModelError::Mismatch { .. }), "{message}");
    assert!(message.contains("tokens.txt has SHA-256"), "{message}");
    assert!(!world.partial().exists());
    world.assert_no_model();
}

/// A served archive whose catalog pins match it exactly, so only the entry checks stop it.
fn evil_world(entries: &[Raw]) -> World {
    let bytes = support::tar_bz2(entries);
    let world = World::new();
    let evil = Archive {
        bytes,
        files: world.archive.files.clone(),
    };
    world
        .server
        .add(&format!("/asr-models/{ARCHIVE}"), evil.bytes.clone());
    let catalog = Catalog::parse(&catalog_toml(&[Entry::new(ID, ARCHIVE, &evil)]), "evil").unwrap();
    World { catalog, ..world }
}

#[test]
fn traversal_absolute_and_link_entries_are_rejected() {
    let tokens = std::fs::read(tiny_model().join("tokens.txt")).unwrap();
    let cases: [(&str, Vec<Raw>); 4] = [
        (
            "`..`",
            vec![
                Raw::File("top/tokens.txt", &tokens),
                Raw::File("top/../../escaped.onnx", b"x"),
            ],
        ),
        ("`..`", vec![Raw::File("../escaped.onnx", b"x")]),
        (
            "absolute",
            vec![Raw::File("/tmp/noi-test-escaped.onnx", b"x")],
        ),
        ("link", vec![Raw::Symlink("top/tokens.txt", "/etc/passwd")]),
    ];
    for (needle, entries) in cases {
        let world = evil_world(&entries);
        let err = world.download(world.options()).0.unwrap_err();
        assert!(matches!(err, ModelError::UnsafeArchive { .. }), "{err}");
        assert!(err.to_string().contains(needle), "{err} lacks {needle}");
        world.assert_no_model();
        assert!(!world.store.models_dir().join("escaped.onnx").exists());
        assert!(
            !world
                .store
                .models_dir()
                .parent()
                .unwrap()
                .join("escaped.onnx")
                .exists()
        );
        assert!(!Path::new("/tmp/noi-test-escaped.onnx").exists());
    }
}

#[test]
fn http_404_fails_at_once_with_the_fix() {
    let world = World::new();
    world.server.set(Behaviour {
        status: Some(404),
        ..Default::default()
    });
    let err = world.download(world.options()).0.unwrap_err();
    assert!(matches!(err, ModelError::Http { status: 404, .. }), "{err}");
    assert!(err.to_string().contains("noi models install FILE"), "{err}");
    assert_eq!(world.archive_requests().len(), 1, "a 404 is not retried");
    world.assert_no_model();
}

#[test]
fn http_500_is_retried_then_reported() {
    let world = World::new();
    world.server.set(Behaviour {
        status: Some(500),
        ..Default::default()
    });
    let err = world.download(world.options()).0.unwrap_err();
    assert!(
        matches!(err, ModelError::Network { attempts: 3, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("HTTP 500"), "{err}");
    assert_eq!(world.archive_requests().len(), 3, "one try and two retries");
    world.assert_no_model();
    // A server that recovers within the retries is fine.
    world.server.set(Behaviour {
        status: Some(503),
        status_times: Some(5),
        ..Default::default()
    });
    world.download(world.options()).0.unwrap();
    world.assert_verified_model();
}

#[test]
fn a_stalled_server_trips_the_watchdog_in_bounded_time() {
    let world = World::new();
    world.server.set(Behaviour {
        stall: true,
        ..Default::default()
    });
    let started = Instant::now();
    let (result, events) = world.download(world.options());
    let err = result.unwrap_err();
    let elapsed = started.elapsed();
    assert!(err.to_string().contains("sent nothing for 0.3 s"), "{err}");
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, Event::Retrying { .. }))
            .count(),
        2
    );
    world.assert_no_model();
}

#[test]
fn two_concurrent_installs_download_once() {
    let world = World::new();
    // Slow enough that the second installer arrives while the first downloads.
    world.server.set(Behaviour {
        chunk_delay: Some(Duration::from_millis(5)),
        ..Default::default()
    });
    let waited = AtomicBool::new(false);
    let results: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    world.installer(world.options()).download(ID, &mut |e| {
                        if matches!(e, Event::WaitingForLock { .. }) {
                            waited.store(true, Ordering::Relaxed);
                        }
                    })
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let results: Vec<_> = results.into_iter().map(Result::unwrap).collect();
    assert_eq!(
        results.iter().filter(|r| r.already).count(),
        1,
        "one installs, one finds it"
    );
    assert!(
        waited.load(Ordering::Relaxed),
        "the second one waited for the lock"
    );
    assert_eq!(world.archive_requests().len(), 1);
    world.assert_verified_model();
}

#[test]
fn a_write_failure_while_downloading_keeps_a_resumable_partial() {
    let world = World::new();
    let half = world.archive.bytes.len() as u64 / 2;
    let mut options = world.options();
    options.download.fail_write_after = Some(half);
    let err = world.download(options).0.unwrap_err();
    assert!(matches!(err, ModelError::Io { .. }), "{err}");
    assert!(err.to_string().contains("injected write failure"), "{err}");
    assert_eq!(
        world.archive_requests().len(),
        1,
        "a local write failure is not retried"
    );
    assert_eq!(std::fs::metadata(world.partial()).unwrap().len(), half);
    world.assert_no_model();
    world.download(world.options()).0.unwrap();
    assert_eq!(world.archive_requests()[1], Some(format!("bytes={half}-")));
    world.assert_verified_model();
}

#[test]
fn a_write_failure_while_unpacking_leaves_no_model() {
    let world = World::new();
    let mut options = world.options();
    options.fail_extract_write_after = Some(20_000);
    let err = world.download(options).0.unwrap_err();
    assert!(matches!(err, ModelError::Io { .. }), "{err}");
    world.assert_no_model();
    // The verified archive is kept: the retry needs no second download.
    assert!(world.partial().exists());
    world.download(world.options()).0.unwrap();
    assert_eq!(world.archive_requests().len(), 1);
    world.assert_verified_model();
}

#[test]
fn cancelling_keeps_the_partial_and_the_next_run_resumes() {
    let world = World::new();
    world.server.set(Behaviour {
        chunk_delay: Some(Duration::from_millis(2)),
        ..Default::default()
    });
    let cancel = Arc::new(AtomicBool::new(false));
    let mut options = world.options();
    options.download.cancel = Some(cancel.clone());
    let threshold = world.archive.bytes.len() as u64 / 4;
    let result = world.installer(options).download(ID, &mut |e| {
        if matches!(e, Event::Downloaded { done, .. } if done >= threshold) {
            cancel.store(true, Ordering::Relaxed);
        }
    });
    let err = result.unwrap_err();
    assert!(matches!(err, ModelError::Interrupted { .. }), "{err}");
    let kept = std::fs::metadata(world.partial()).unwrap().len();
    assert!(kept >= threshold, "kept {kept}");
    world.assert_no_model();
    world.server.set(Behaviour::default());
    world.download(world.options()).0.unwrap();
    assert_eq!(world.archive_requests()[1], Some(format!("bytes={kept}-")));
    world.assert_verified_model();
}

#[test]
fn remove_deletes_the_model_and_its_partial() {
    let world = World::new();
    world.download(world.options()).0.unwrap();
    let removed = world
        .installer(world.options())
        .remove(ID, &mut |_| {})
        .unwrap();
    assert!(!removed.exists());
    world.assert_no_model();
    let err = world
        .installer(world.options())
        .remove(ID, &mut |_| {})
        .unwrap_err();
    assert!(
        err.to_string().contains("noi models download tiny"),
        "{err}"
    );
}

#[test]
fn verify_finds_a_damaged_file() {
    let world = World::new();
    world.download(world.options()).0.unwrap();
    let dir = world.store.path_of(ID).unwrap();
    std::fs::write(dir.join("tokens.txt"), "changed").unwrap();
    let err = world.installer(world.options()).verify(ID).unwrap_err();
    let message = err.to_string();
    assert!(message.contains("tokens.txt has 7 bytes"), "{message}");
    assert!(message.contains("noi models remove tiny"), "{message}");
}

#[test]
fn offline_install_of_a_catalog_archive_checks_its_pins() {
    let world = World::new();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("renamed.tar.bz2");
    world.archive.write_to(&path);
    let installed = world
        .installer(world.options())
        .install_path(&path, None, &mut |_| {})
        .unwrap();
    assert_eq!(
        installed.model.id, ID,
        "matched by its hash despite the name"
    );
    world.assert_verified_model();
    assert!(path.exists(), "the user's archive is left alone");
    assert!(world.server.requests().is_empty(), "offline");

    // Named like the catalog's archive but different bytes: refused.
    let world = World::new();
    let fake = dir.path().join(ARCHIVE);
    std::fs::write(
        &fake,
        support::tar_bz2(&[Raw::File("top/tokens.txt", b"x")]),
    )
    .unwrap();
    let err = world
        .installer(world.options())
        .install_path(&fake, None, &mut |_| {})
        .unwrap_err();
    assert!(matches!(err, ModelError::Mismatch { .. }), "{err}");
    world.assert_no_model();
}

#[test]
fn offline_install_of_a_catalog_folder_checks_its_pins() {
    let world = World::new();
    let installed = world
        .installer(world.options())
        .install_path(&tiny_model(), None, &mut |_| {})
        .unwrap();
    assert_eq!(
        installed.model.id, ID,
        "the folder holds the files of catalog model {ID}"
    );
    world.assert_verified_model();
}

#[test]
fn offline_install_of_an_unlisted_folder_or_archive_is_validated_by_loading_it() {
    let world = World::new();
    // The built-in catalog knows nothing of the tiny model.
    let catalog = Catalog::parse(noi_models::catalog::DEFAULT_CATALOG, "built-in").unwrap();
    let installer = Installer {
        store: &world.store,
        catalog: &catalog,
        options: world.options(),
    };
    let installed = installer
        .install_path(&tiny_model(), None, &mut |_| {})
        .unwrap();
    assert_eq!(installed.model.id, "tiny-model", "named after the folder");
    let manifest = installed.model.manifest.unwrap();
    assert_eq!(manifest.files.len(), 4);
    installer.verify("tiny-model").unwrap();

    // Archives not in the catalog: named after the archive, or under a chosen id.
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("sherpa-onnx-other.tar.bz2");
    sherpa_archive(&tiny_model(), "sherpa-onnx-other").write_to(&other);
    let installed = installer.install_path(&other, None, &mut |_| {}).unwrap();
    assert_eq!(installed.model.id, "other");
    let path = dir.path().join("x.tar.bz2");
    sherpa_archive(&tiny_model(), "x").write_to(&path);
    let installed = installer
        .install_path(&path, Some("mine"), &mut |_| {})
        .unwrap();
    assert_eq!(installed.model.id, "mine");
    let ids: Vec<String> = world.store.installed().into_iter().map(|m| m.id).collect();
    assert_eq!(ids, ["mine", "other", "tiny-model"]);

    // A folder whose .onnx files are not a model: refused, nothing installed.
    let bad = tempfile::tempdir().unwrap();
    for name in ["encoder.onnx", "decoder.onnx", "joiner.onnx"] {
        std::fs::write(bad.path().join(name), "not onnx").unwrap();
    }
    std::fs::copy(
        tiny_model().join("tokens.txt"),
        bad.path().join("tokens.txt"),
    )
    .unwrap();
    let err = installer
        .install_path(bad.path(), Some("bad"), &mut |_| {})
        .unwrap_err();
    assert!(matches!(err, ModelError::NotAModel { .. }), "{err}");
    assert!(world.store.path_of("bad").is_none());
    assert_no_leftovers(&world.store);
}

/// The real layout and size class: the 30M replica, packed as sherpa-onnx packs it.
#[test]
fn the_replica_model_downloads_and_verifies() {
    let Some(replica) = support::replica("replica-zipformer-vi-30M-int8-2026-02-09") else {
        return;
    };
    let archive = sherpa_archive(&replica, "sherpa-onnx-zipformer-vi-30M-int8-2026-02-09");
    let name = "sherpa-onnx-zipformer-vi-30M-int8-2026-02-09.tar.bz2";
    let mut entry = Entry::new("zipformer-vi-30m-int8", name, &archive);
    entry.license = "CC-BY-NC-ND-4.0";
    entry.license_note = Some("non-commercial use only");
    let catalog = Catalog::parse(&catalog_toml(&[entry]), "replica").unwrap();
    let server = Server::start();
    server.add(&format!("/asr-models/{name}"), archive.bytes.clone());
    let data = tempfile::tempdir().unwrap();
    let store = ModelStore::at(data.path());
    let options = InstallOptions {
        mirror: Some(server.base.clone()),
        ..Default::default()
    };
    let installer = Installer {
        store: &store,
        catalog: &catalog,
        options,
    };
    let installed = installer
        .download("zipformer-vi-30m-int8", &mut |_| {})
        .unwrap();
    let manifest = installed.model.manifest.unwrap();
    assert_eq!(
        manifest.license.as_deref(),
        Some("CC-BY-NC-ND-4.0 (non-commercial use only)")
    );
    installer.verify("zipformer-vi-30m-int8").unwrap();
    noi_engine::model::Transducer::load(&installed.model.dir, Default::default()).unwrap();
}
