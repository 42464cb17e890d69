//! The one way models get installed, for the tray and the settings window alike: downloads
//! from the catalog and installs from a local archive or folder, each on its own thread, with
//! one cancel flag per job and one stream of [`JobEvent`]s that the controller hands to both
//! the tray and the window. So a download started in the tray shows (and cancels) in the
//! window, and the other way round.
//!
//! A cancelled download keeps its partial file: downloading again resumes it.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use noi_desktop_core::messages::Problem;
use noi_models::progress::OnEvent;
use noi_models::{Catalog, Event as InstallEvent, Installed, Installer, ModelStore};
use serde::Serialize;

/// Progress of one job, for progress bars and the tray's status line.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Progress {
    /// The catalog id, or for a file install the path given.
    pub id: String,
    /// waiting | connecting | downloading | retrying | verifying | extracting
    pub phase: &'static str,
    pub done: u64,
    pub total: Option<u64>,
    /// 0–100 when the total is known.
    pub percent: Option<u8>,
    /// Why a retry is happening.
    pub detail: Option<String>,
}

/// How a job ended.
#[derive(Debug, Clone, Serialize)]
pub struct Finished {
    pub id: String,
    /// The installed model's id on success.
    pub installed: Option<String>,
    pub cancelled: bool,
    pub error: Option<String>,
}

/// What the service reports, from its job threads.
#[derive(Debug, Clone)]
pub enum JobEvent {
    Progress(Progress),
    Finished(Finished),
}

/// Who hears about jobs (the controller, which tells the tray and the window).
pub type Observer = Box<dyn Fn(JobEvent) + Send + Sync>;

struct Job {
    cancel: Arc<AtomicBool>,
    last: Option<Progress>,
}

pub struct ModelService {
    jobs: Mutex<HashMap<String, Job>>,
    observer: Observer,
}

/// One job's work, given the installer and a progress call-back.
type Work = Box<dyn FnOnce(&Installer, OnEvent) -> noi_models::Result<Installed> + Send>;

impl ModelService {
    pub fn new(observer: Observer) -> Arc<ModelService> {
        Arc::new(ModelService {
            jobs: Mutex::new(HashMap::new()),
            observer,
        })
    }

    /// Starts downloading catalog model `id`; progress and the end arrive as events.
    pub fn download(self: &Arc<Self>, id: &str) -> Result<(), Problem> {
        let catalog_id = id.to_owned();
        let work: Work =
            Box::new(move |installer, on_event| installer.download(&catalog_id, on_event));
        self.spawn(id.to_owned(), work)
    }

    /// Installs a local `.tar.bz2` archive or model folder (offline install).
    pub fn install_path(self: &Arc<Self>, path: PathBuf) -> Result<(), Problem> {
        if !path.exists() {
            return Err(Problem::NoSuchPath(path.display().to_string()));
        }
        let job_id = path.display().to_string();
        let work: Work =
            Box::new(move |installer, on_event| installer.install_path(&path, None, on_event));
        self.spawn(job_id, work)
    }

    /// Stops job `id`; a download's partial file stays for a resume. False when none runs.
    pub fn cancel(&self, id: &str) -> bool {
        let jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        jobs.get(id)
            .map(|job| job.cancel.store(true, Ordering::SeqCst))
            .is_some()
    }

    /// The jobs running now, each with its latest progress (none before its first report).
    pub fn running(&self) -> Vec<(String, Option<Progress>)> {
        let jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        let mut running: Vec<_> = jobs
            .iter()
            .map(|(id, job)| (id.clone(), job.last.clone()))
            .collect();
        running.sort_by(|a, b| a.0.cmp(&b.0));
        running
    }

    /// Deletes installed model `id`.
    pub fn remove(&self, id: &str) -> Result<(), Problem> {
        let store = ModelStore::open_default().map_err(|e| Problem::ModelRemove(e.to_string()))?;
        let catalog = Catalog::load_default().map_err(|e| Problem::ModelRemove(e.to_string()))?;
        Installer::new(&store, &catalog, None)
            .remove(id, &mut |_| {})
            .map(|_| ())
            .map_err(|e| Problem::ModelRemove(e.to_string()))
    }

    fn spawn(self: &Arc<Self>, id: String, work: Work) -> Result<(), Problem> {
        let cancel = self.claim(&id)?;
        let service = Arc::clone(self);
        let thread_id = id.clone();
        let spawned = std::thread::Builder::new()
            .name("noi-model-install".into())
            .spawn(move || service.run(&thread_id, work, &cancel));
        spawned.map(|_| ()).map_err(|e| {
            self.release(&id);
            Problem::ModelInstall(e.to_string())
        })
    }

    /// Claims `id` for one job; an error when one already runs.
    fn claim(&self, id: &str) -> Result<Arc<AtomicBool>, Problem> {
        let mut jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        if jobs.contains_key(id) {
            return Err(Problem::AlreadyInstalling(id.to_owned()));
        }
        let cancel = Arc::new(AtomicBool::new(false));
        let job = Job {
            cancel: Arc::clone(&cancel),
            last: None,
        };
        jobs.insert(id.to_owned(), job);
        Ok(cancel)
    }

    fn release(&self, id: &str) {
        self.jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
    }

    /// The job thread: installs, reporting progress, then reports the end.
    fn run(&self, id: &str, work: Work, cancel: &Arc<AtomicBool>) {
        let result = self.install(id, work, cancel);
        self.release(id);
        let cancelled = cancel.load(Ordering::SeqCst) && result.is_err();
        let finished = Finished {
            id: id.to_owned(),
            installed: result.as_ref().ok().cloned(),
            cancelled,
            error: result.err().filter(|_| !cancelled).map(|e| e.to_string()),
        };
        (self.observer)(JobEvent::Finished(finished));
    }

    fn install(
        &self,
        id: &str,
        work: Work,
        cancel: &Arc<AtomicBool>,
    ) -> Result<String, noi_models::ModelError> {
        let store = ModelStore::open_default()?;
        let catalog = Catalog::load_default()?;
        let installer = Installer::new(&store, &catalog, Some(Arc::clone(cancel)));
        let mut reporter = Reporter::new(id);
        let installed = work(&installer, &mut |event| {
            if let Some(progress) = reporter.report(event) {
                self.record(&progress);
                (self.observer)(JobEvent::Progress(progress));
            }
        })?;
        Ok(installed.model.id)
    }

    fn record(&self, progress: &Progress) {
        let mut jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(job) = jobs.get_mut(&progress.id) {
            job.last = Some(progress.clone());
        }
    }
}

/// Turns install events into progress, skipping ones that would not move a bar.
struct Reporter {
    id: String,
    last: Option<(&'static str, Option<u8>)>,
}

impl Reporter {
    fn new(id: &str) -> Self {
        Reporter {
            id: id.to_owned(),
            last: None,
        }
    }

    fn report(&mut self, event: InstallEvent) -> Option<Progress> {
        let progress = progress_of(&self.id, event);
        let key = (progress.phase, progress.percent);
        if self.last == Some(key) && progress.detail.is_none() {
            return None;
        }
        self.last = Some(key);
        Some(progress)
    }
}

fn progress_of(id: &str, event: InstallEvent) -> Progress {
    let mut progress = Progress {
        id: id.to_owned(),
        phase: "connecting",
        done: 0,
        total: None,
        percent: None,
        detail: None,
    };
    match event {
        InstallEvent::WaitingForLock { .. } => progress.phase = "waiting",
        InstallEvent::Connecting { from, .. } => progress.done = from,
        InstallEvent::Downloaded { done, total } => {
            progress.phase = "downloading";
            progress.done = done;
            progress.total = total;
            progress.percent = percent(done, total);
        }
        InstallEvent::Retrying { reason, .. } => {
            progress.phase = "retrying";
            progress.detail = Some(reason);
        }
        InstallEvent::Verifying => progress.phase = "verifying",
        InstallEvent::Extracting | InstallEvent::Installed { .. } => progress.phase = "extracting",
    }
    progress
}

pub fn percent(done: u64, total: Option<u64>) -> Option<u8> {
    total
        .filter(|&t| t > 0)
        .map(|t| (done.saturating_mul(100) / t).min(100) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_is_whole_and_capped() {
        assert_eq!(percent(0, Some(200)), Some(0));
        assert_eq!(percent(199, Some(200)), Some(99));
        assert_eq!(percent(250, Some(200)), Some(100));
        assert_eq!(percent(5, None), None);
        assert_eq!(percent(5, Some(0)), None);
    }

    #[test]
    fn one_job_per_id_at_a_time_and_cancel_reaches_it() {
        let service = ModelService::new(Box::new(|_| {}));
        let flag = service.claim("m").unwrap();
        assert_eq!(
            service.claim("m").unwrap_err(),
            Problem::AlreadyInstalling("m".into())
        );
        assert_eq!(service.running(), vec![("m".to_owned(), None)]);
        assert!(service.cancel("m"));
        assert!(flag.load(Ordering::SeqCst));
        assert!(!service.cancel("other"));
        service.release("m");
        assert!(service.claim("m").is_ok());
    }

    #[test]
    fn progress_repeats_are_dropped() {
        let mut reporter = Reporter::new("m");
        let at = |done| InstallEvent::Downloaded {
            done,
            total: Some(1000),
        };
        assert_eq!(reporter.report(at(10)).unwrap().percent, Some(1));
        assert!(reporter.report(at(15)).is_none(), "same whole percent");
        assert_eq!(reporter.report(at(20)).unwrap().percent, Some(2));
    }
}
