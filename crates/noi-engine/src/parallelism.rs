//! How a file transcription spreads over the cores: segments decoded at once (`jobs`, one
//! session copy each) times ONNX Runtime intra-op threads per decode (`threads`).
//!
//! Decodes side by side share the one encoder session (memory stays flat), but on the 2-core
//! machine of BENCHMARKS.md ("Long files (issue 18)") two at once did not beat one: so more
//! than one decode happens only when the user asks for it with `--jobs`.

/// Most intra-op threads chosen automatically (more stop paying off for one encoder run).
pub const MAX_AUTO_THREADS: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parallelism {
    /// Segments decoded at once.
    pub jobs: usize,
    /// ONNX Runtime intra-op threads of each decode's encoder.
    pub threads: usize,
}

/// The rule, for `cores` cores and what the user set (`None`: automatic):
/// - jobs: as set, else 1;
/// - threads: as set, else the cores shared out among the jobs (at least 1 each, at most
///   [`MAX_AUTO_THREADS`]), which for one job is the engine's usual default.
pub fn choose(cores: usize, threads: Option<usize>, jobs: Option<usize>) -> Parallelism {
    let cores = cores.max(1);
    let jobs = jobs.unwrap_or(1).max(1);
    let threads = threads.unwrap_or_else(|| (cores / jobs).clamp(1, MAX_AUTO_THREADS));
    Parallelism {
        jobs,
        threads: threads.max(1),
    }
}

/// [`choose`] for this machine's cores.
pub fn choose_here(threads: Option<usize>, jobs: Option<usize>) -> Parallelism {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    choose(cores, threads, jobs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(jobs: usize, threads: usize) -> Parallelism {
        Parallelism { jobs, threads }
    }

    #[test]
    fn what_the_user_sets_is_kept() {
        assert_eq!(choose(2, Some(2), Some(3)), p(3, 2));
        assert_eq!(choose(1, Some(8), Some(8)), p(8, 8));
    }

    #[test]
    fn threads_alone_keep_one_decode() {
        assert_eq!(choose(2, Some(1), None), p(1, 1));
        assert_eq!(choose(8, Some(2), None), p(1, 2));
    }

    #[test]
    fn jobs_alone_share_the_cores_out() {
        assert_eq!(choose(2, None, Some(2)), p(2, 1));
        assert_eq!(choose(8, None, Some(2)), p(2, 4));
        assert_eq!(
            choose(2, None, Some(4)),
            p(4, 1),
            "at least one thread each"
        );
        assert_eq!(choose(64, None, Some(1)), p(1, MAX_AUTO_THREADS));
    }

    #[test]
    fn neither_is_one_decode_on_the_cores_as_before() {
        assert_eq!(choose(1, None, None), p(1, 1));
        assert_eq!(choose(2, None, None), p(1, 2));
        assert_eq!(choose(16, None, None), p(1, MAX_AUTO_THREADS));
        assert_eq!(choose(0, None, None), p(1, 1), "unknown core count");
    }

    #[test]
    fn zero_is_read_as_one() {
        assert_eq!(choose(2, Some(0), Some(0)), p(1, 1));
    }
}
