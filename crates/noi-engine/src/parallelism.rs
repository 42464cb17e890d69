//! How a file transcription spreads over the cores: segments decoded at once (`jobs`, one
//! decoder/joiner copy each, one shared encoder session) times ONNX Runtime intra-op threads
//! per decode (`threads`).
//!
//! Whole segments side by side use cores better than one segment's encoder split over
//! threads: on the 2-core machine of BENCHMARKS.md ("Long files (issue 18)"), M replica,
//! 8-minute file, two decodes of one thread each took 6.1 s where one decode of two threads
//! took 7.7 s. So the cores go to decodes first, and `--threads` alone leaves the cores it
//! does not use to more decodes. Even when `--threads` covers every core, one decode leaves
//! them idle part of the time (its search and the encoder's serial steps run on one thread),
//! so a second decode fills those gaps: there two decodes of two threads took 5.7–6.3 s
//! against 7.7–7.9 s for one. The file pipeline's intra-op threads do not spin while they
//! wait (`model.rs`), so the extra threads cost nothing while they have nothing to do.

/// Most intra-op threads chosen automatically (more stop paying off for one encoder run).
pub const MAX_AUTO_THREADS: usize = 4;

/// Most decodes at once chosen automatically: each holds one segment's activations (60–70 MiB
/// for the M replica's longest segments), so memory, not cores, bounds this.
pub const MAX_AUTO_JOBS: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parallelism {
    /// Segments decoded at once.
    pub jobs: usize,
    /// ONNX Runtime intra-op threads of each decode's encoder.
    pub threads: usize,
}

/// The rule, for `cores` cores and what the user set (`None`: automatic):
/// - jobs: as set; else one per `threads` cores (`cores / threads`; one per core with
///   neither set), at least 2 when there are 2 cores or more, at most [`MAX_AUTO_JOBS`];
/// - threads: as set; else the cores shared out among the jobs (at least 1 each, at most
///   [`MAX_AUTO_THREADS`]).
pub fn choose(cores: usize, threads: Option<usize>, jobs: Option<usize>) -> Parallelism {
    let cores = cores.max(1);
    let threads = threads.map(|t| t.max(1));
    let jobs = jobs.map(|j| j.max(1)).unwrap_or_else(|| {
        (cores / threads.unwrap_or(1))
            .max(cores.min(2))
            .min(MAX_AUTO_JOBS)
    });
    let threads = threads.unwrap_or_else(|| (cores / jobs).clamp(1, MAX_AUTO_THREADS));
    Parallelism { jobs, threads }
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
        assert_eq!(
            choose(64, Some(1), Some(16)),
            p(16, 1),
            "no cap on what is asked for"
        );
    }

    #[test]
    fn threads_alone_leave_the_spare_cores_to_more_decodes() {
        assert_eq!(choose(2, Some(1), None), p(2, 1));
        assert_eq!(choose(8, Some(2), None), p(4, 2));
        assert_eq!(choose(12, Some(4), None), p(3, 4));
        assert_eq!(choose(12, Some(5), None), p(2, 5), "whole cores only");
        assert_eq!(choose(64, Some(1), None), p(MAX_AUTO_JOBS, 1));
    }

    #[test]
    fn two_decodes_at_least_on_two_cores_or_more() {
        assert_eq!(choose(2, Some(2), None), p(2, 2), "threads on every core");
        assert_eq!(choose(2, Some(4), None), p(2, 4), "more threads than cores");
        assert_eq!(choose(8, Some(8), None), p(2, 8));
        assert_eq!(choose(1, Some(1), None), p(1, 1), "one core: one decode");
        assert_eq!(choose(1, Some(2), None), p(1, 2));
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
    fn neither_is_one_decode_per_core_up_to_the_cap() {
        assert_eq!(choose(1, None, None), p(1, 1));
        assert_eq!(choose(2, None, None), p(2, 1));
        assert_eq!(choose(4, None, None), p(4, 1));
        assert_eq!(
            choose(8, None, None),
            p(MAX_AUTO_JOBS, 2),
            "the rest as threads"
        );
        assert_eq!(choose(64, None, None), p(MAX_AUTO_JOBS, MAX_AUTO_THREADS));
        assert_eq!(choose(0, None, None), p(1, 1), "unknown core count");
    }

    #[test]
    fn zero_is_read_as_one() {
        assert_eq!(choose(2, Some(0), Some(0)), p(1, 1));
        assert_eq!(choose(2, Some(0), None), p(2, 1));
    }
}
