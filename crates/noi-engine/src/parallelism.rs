//! How a file transcription spreads over the cores: segments decoded at once (`jobs`, one
//! session copy each) times ONNX Runtime intra-op threads per decode (`threads`).
//!
//! Several small decodes side by side use the cores better than one decode split across them:
//! a segment's encoder run is a chain of small matrix products, and the hand-offs between
//! intra-op threads cost a large share of each (BENCHMARKS.md, "Long files (issue 18)").
//! So when the user sets neither, files get one thread per decode and one decode per core.

/// Most decodes at once: each copy of the sessions costs memory (BENCHMARKS.md).
pub const MAX_JOBS: usize = 4;
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
/// - both set: as set;
/// - only threads: as many decodes as fit in the cores at that many threads each (at least 1);
/// - only jobs: the cores shared out among the decodes (at least 1 thread each);
/// - neither: one thread per decode, one decode per core.
///
/// Automatic values stay within [`MAX_JOBS`] and [`MAX_AUTO_THREADS`].
pub fn choose(cores: usize, threads: Option<usize>, jobs: Option<usize>) -> Parallelism {
    let cores = cores.max(1);
    let (threads, jobs) = match (threads, jobs) {
        (Some(threads), Some(jobs)) => (threads, jobs),
        (Some(threads), None) => (threads, (cores / threads.max(1)).clamp(1, MAX_JOBS)),
        (None, Some(jobs)) => ((cores / jobs.max(1)).clamp(1, MAX_AUTO_THREADS), jobs),
        (None, None) => (1, cores.min(MAX_JOBS)),
    };
    Parallelism {
        jobs: jobs.max(1),
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
    fn threads_alone_leave_the_spare_cores_to_more_decodes() {
        assert_eq!(choose(2, Some(1), None), p(2, 1));
        assert_eq!(choose(2, Some(2), None), p(1, 2));
        assert_eq!(
            choose(2, Some(4), None),
            p(1, 4),
            "never fewer than one decode"
        );
        assert_eq!(choose(8, Some(2), None), p(4, 2));
        assert_eq!(
            choose(64, Some(1), None),
            p(MAX_JOBS, 1),
            "capped for memory"
        );
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
    fn neither_gives_one_single_threaded_decode_per_core() {
        assert_eq!(choose(1, None, None), p(1, 1));
        assert_eq!(choose(2, None, None), p(2, 1));
        assert_eq!(choose(16, None, None), p(MAX_JOBS, 1));
        assert_eq!(choose(0, None, None), p(1, 1), "unknown core count");
    }

    #[test]
    fn zero_is_read_as_one() {
        assert_eq!(choose(2, Some(0), Some(0)), p(1, 1));
    }
}
