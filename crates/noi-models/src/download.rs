//! Resumable HTTP downloads into a partial file: Range requests, a connect timeout, a stall
//! watchdog (a per-read timeout), and retries with exponential backoff. The partial file only
//! ever holds a prefix of the body, so an interrupted download resumes where it stopped.

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::error::{ModelError, Result, io};
use crate::progress::{Event, OnEvent};

/// Timeouts, retries and the cancel switch of a download.
#[derive(Debug, Clone)]
pub struct DownloadOptions {
    pub connect_timeout: Duration,
    /// No byte for this long and the attempt is abandoned (then retried).
    pub stall_timeout: Duration,
    /// Failed attempts in a row (without new bytes) before giving up.
    pub retries: u32,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// Set (e.g. by a Ctrl-C handler) to stop after the current chunk, keeping the partial.
    pub cancel: Option<Arc<AtomicBool>>,
    /// Test hook: the partial file's writes fail once it would exceed this many bytes.
    #[doc(hidden)]
    pub fail_write_after: Option<u64>,
}

impl Default for DownloadOptions {
    fn default() -> Self {
        DownloadOptions {
            connect_timeout: Duration::from_secs(15),
            stall_timeout: Duration::from_secs(30),
            retries: 5,
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(30),
            cancel: None,
            fail_write_after: None,
        }
    }
}

impl DownloadOptions {
    /// Defaults, overridden by `NOI_CONNECT_TIMEOUT_MS`, `NOI_STALL_TIMEOUT_MS`,
    /// `NOI_DOWNLOAD_RETRIES` and `NOI_BACKOFF_MS` (tests use short ones).
    pub fn from_env() -> Self {
        let ms = |name: &str| env_u64(name).map(Duration::from_millis);
        let mut options = DownloadOptions::default();
        if let Some(v) = ms("NOI_CONNECT_TIMEOUT_MS") {
            options.connect_timeout = v;
        }
        if let Some(v) = ms("NOI_STALL_TIMEOUT_MS") {
            options.stall_timeout = v;
        }
        if let Some(v) = env_u64("NOI_DOWNLOAD_RETRIES") {
            options.retries = v as u32;
        }
        if let Some(v) = ms("NOI_BACKOFF_MS") {
            options.backoff_base = v;
            options.backoff_max = v * 8;
        }
        options
    }

    fn cancelled(&self) -> bool {
        self.cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::Relaxed))
    }
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok()?.trim().parse().ok()
}

/// Delay before the attempt after the `failures`-th failure in a row: base·2ⁿ⁻¹, capped.
pub fn backoff(failures: u32, base: Duration, max: Duration) -> Duration {
    let factor = 2u32.saturating_pow(failures.saturating_sub(1).min(16));
    base.saturating_mul(factor).min(max)
}

/// What to do with an answer to a (possibly ranged) GET.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Answer {
    /// The body continues the partial file.
    Append,
    /// The body is the whole file: truncate the partial and write it from the start.
    Restart,
    /// The server has nothing past our partial (416): it is complete, or wrong; the hash decides.
    PastEnd,
    /// A 206 for some other range: drop the partial and ask again.
    Discard,
    Retry,
    Fatal,
}

pub(crate) fn classify(status: u16, from: u64, range_start: Option<u64>) -> Answer {
    match status {
        200 => {
            // Also a server that ignores Range: its body starts at byte 0.
            if from == 0 {
                Answer::Append
            } else {
                Answer::Restart
            }
        }
        206 if range_start == Some(from) => Answer::Append,
        206 if range_start == Some(0) => Answer::Restart,
        206 => Answer::Discard,
        416 if from > 0 => Answer::PastEnd,
        408 | 425 | 429 | 500..=599 => Answer::Retry,
        _ => Answer::Fatal,
    }
}

/// The first byte of `Content-Range: bytes START-END/TOTAL`.
pub(crate) fn range_start(content_range: &str) -> Option<u64> {
    let spec = content_range.trim().strip_prefix("bytes")?.trim_start();
    spec.split('-').next()?.trim().parse().ok()
}

fn status_hint(status: u16) -> &'static str {
    match status {
        404 | 410 => "the file is not there",
        401 | 403 => "access was refused",
        416 => "the server cannot send that range",
        500..=599 => "the server failed, repeatedly",
        _ => "unexpected answer",
    }
}

/// Why one attempt stopped.
enum Stop {
    /// Worth another try; `progressed` when this attempt wrote bytes.
    Retry {
        reason: String,
        progressed: bool,
    },
    Fatal(ModelError),
}

impl From<ModelError> for Stop {
    fn from(e: ModelError) -> Self {
        Stop::Fatal(e)
    }
}

/// Downloads `url` into `partial`, resuming from what it already holds. `size` is the
/// expected byte count when the catalog pins it. Returns when the server has sent everything;
/// checking what was sent is the caller's job.
pub fn download(
    url: &str,
    partial: &Path,
    size: Option<u64>,
    options: &DownloadOptions,
    on_event: OnEvent,
) -> Result<()> {
    let agent = agent(options);
    let mut failures = 0;
    loop {
        match attempt(&agent, url, partial, size, options, on_event) {
            Ok(()) => return Ok(()),
            Err(Stop::Fatal(error)) => return Err(error),
            Err(Stop::Retry { reason, progressed }) => {
                // A flaky link that keeps making progress is not failing: count only
                // failures in a row without new bytes.
                failures = if progressed { 1 } else { failures + 1 };
                if failures > options.retries {
                    return Err(ModelError::Network {
                        url: url.to_string(),
                        attempts: failures,
                        reason,
                    });
                }
                let delay = backoff(failures, options.backoff_base, options.backoff_max);
                tracing::info!(
                    url,
                    failures,
                    ?delay,
                    reason,
                    "download attempt failed; retrying"
                );
                on_event(Event::Retrying {
                    failures,
                    delay,
                    reason,
                });
                sleep_unless_cancelled(delay, options, partial)?;
            }
        }
    }
}

fn agent(options: &DownloadOptions) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_connect(Some(options.connect_timeout))
        .timeout_per_read(Some(options.stall_timeout))
        .http_status_as_error(false)
        .build()
        .into()
}

fn attempt(
    agent: &ureq::Agent,
    url: &str,
    partial: &Path,
    size: Option<u64>,
    options: &DownloadOptions,
    on_event: OnEvent,
) -> Result<(), Stop> {
    let mut from = partial_len(partial)?;
    if let Some(size) = size {
        if from == size {
            return Ok(());
        }
        if from > size {
            truncate(partial)?;
            from = 0;
        }
    }
    on_event(Event::Connecting {
        url: url.to_string(),
        from,
    });
    let mut request = agent.get(url);
    if from > 0 {
        request = request.header("Range", format!("bytes={from}-"));
    }
    let response = request.call().map_err(|e| Stop::Retry {
        reason: describe_http_error(&e, options),
        progressed: false,
    })?;
    let status = response.status().as_u16();
    let start = header(&response, "content-range")
        .as_deref()
        .and_then(range_start);
    let append = match classify(status, from, start) {
        Answer::Append => true,
        Answer::Restart => false,
        Answer::PastEnd => return Ok(()),
        Answer::Discard => {
            truncate(partial)?;
            return Err(Stop::Retry {
                reason: format!("the server sent a range starting at {start:?}, not {from}"),
                progressed: false,
            });
        }
        Answer::Retry => {
            return Err(Stop::Retry {
                reason: format!("HTTP {status}"),
                progressed: false,
            });
        }
        Answer::Fatal => {
            return Err(Stop::Fatal(ModelError::Http {
                url: url.to_string(),
                status,
                hint: status_hint(status),
            }));
        }
    };
    let from = if append { from } else { 0 };
    let length = response.body().content_length();
    let total = length.map(|l| from + l).or(size);
    let file = open_partial(partial, append)?;
    let reader = response.into_body().into_reader();
    copy_body(reader, file, partial, from, total, options, on_event)
}

fn header(response: &ureq::http::Response<ureq::Body>, name: &str) -> Option<String> {
    let value = response.headers().get(name)?;
    value.to_str().ok().map(str::to_string)
}

/// Streams the body into the partial file, reporting progress after every chunk.
fn copy_body(
    mut reader: impl Read,
    file: File,
    partial: &Path,
    from: u64,
    total: Option<u64>,
    options: &DownloadOptions,
    on_event: OnEvent,
) -> Result<(), Stop> {
    let mut out = FaultyWriter {
        file,
        written: from,
        fail_after: options.fail_write_after,
    };
    let mut buf = vec![0u8; 64 * 1024];
    let mut done = from;
    on_event(Event::Downloaded { done, total });
    loop {
        if options.cancelled() {
            // Every chunk went straight to the file (no user-space buffer); sync so the
            // bytes survive even a power cut before the next resume.
            out.file.sync_data().ok();
            return Err(ModelError::Interrupted { done }.into());
        }
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(Stop::Retry {
                    reason: describe_read_error(&e, options),
                    progressed: done > from,
                });
            }
        };
        out.write_all(&buf[..n])
            .map_err(io("write the download to", partial))?;
        done += n as u64;
        on_event(Event::Downloaded { done, total });
    }
    out.file.sync_data().ok();
    match total {
        Some(total) if done < total => Err(Stop::Retry {
            reason: format!("the connection closed after {done} of {total} bytes"),
            progressed: done > from,
        }),
        _ => Ok(()),
    }
}

/// The partial file, with the test hook that makes writes fail part-way.
struct FaultyWriter {
    file: File,
    written: u64,
    fail_after: Option<u64>,
}

impl Write for FaultyWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = match self.fail_after {
            Some(limit) if self.written >= limit => {
                return Err(std::io::Error::new(
                    ErrorKind::StorageFull,
                    "injected write failure (test hook)",
                ));
            }
            Some(limit) => buf.len().min((limit - self.written) as usize),
            None => buf.len(),
        };
        let n = self.file.write(&buf[..n])?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

fn describe_http_error(error: &ureq::Error, options: &DownloadOptions) -> String {
    match error {
        ureq::Error::Timeout(_) => stalled(options),
        ureq::Error::Io(e) => describe_read_error(e, options),
        other => other.to_string(),
    }
}

fn describe_read_error(error: &std::io::Error, options: &DownloadOptions) -> String {
    let timed_out = matches!(error.kind(), ErrorKind::TimedOut | ErrorKind::WouldBlock)
        || error.to_string().contains("timeout");
    if timed_out {
        stalled(options)
    } else {
        error.to_string()
    }
}

fn stalled(options: &DownloadOptions) -> String {
    format!(
        "the server sent nothing for {:.1} s",
        options.stall_timeout.as_secs_f64()
    )
}

fn sleep_unless_cancelled(
    delay: Duration,
    options: &DownloadOptions,
    partial: &Path,
) -> Result<()> {
    let step = Duration::from_millis(50);
    let mut left = delay;
    while !left.is_zero() {
        if options.cancelled() {
            return Err(ModelError::Interrupted {
                done: partial_len(partial)?,
            });
        }
        let nap = left.min(step);
        std::thread::sleep(nap);
        left -= nap;
    }
    Ok(())
}

fn partial_len(partial: &Path) -> Result<u64> {
    match std::fs::metadata(partial) {
        Ok(meta) => Ok(meta.len()),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(0),
        Err(e) => Err(io("read", partial)(e)),
    }
}

fn truncate(partial: &Path) -> Result<()> {
    open_partial(partial, false).map(drop)
}

fn open_partial(partial: &Path, append: bool) -> Result<File> {
    let mut options = OpenOptions::new();
    options.create(true);
    if append {
        options.append(true);
    } else {
        options.write(true).truncate(true);
    }
    options.open(partial).map_err(io("open", partial))
}

/// Fetches a small text document (a catalog) in one go.
pub fn fetch_text(url: &str) -> Result<String> {
    let options = DownloadOptions::from_env();
    let catalog_error = |reason: String| ModelError::Catalog {
        source_name: url.to_string(),
        reason,
    };
    let mut response = agent(&options).get(url).call().map_err(|e| {
        catalog_error(format!(
            "cannot fetch it ({})",
            describe_http_error(&e, &options)
        ))
    })?;
    let status = response.status().as_u16();
    if status != 200 {
        return Err(catalog_error(format!("fetching it answered HTTP {status}")));
    }
    response
        .body_mut()
        .with_config()
        .limit(4 << 20)
        .read_to_string()
        .map_err(|e| catalog_error(format!("cannot read it ({e})")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let s = Duration::from_secs;
        let delays: Vec<_> = (1..=7).map(|n| backoff(n, s(1), s(30))).collect();
        assert_eq!(delays, [s(1), s(2), s(4), s(8), s(16), s(30), s(30)]);
        assert_eq!(backoff(0, s(1), s(30)), s(1));
        assert_eq!(backoff(u32::MAX, s(1), s(30)), s(30));
    }

    #[test]
    fn answers() {
        assert_eq!(classify(200, 0, None), Answer::Append);
        // A server that ignores Range sends the whole file again.
        assert_eq!(classify(200, 500, None), Answer::Restart);
        assert_eq!(classify(206, 500, Some(500)), Answer::Append);
        assert_eq!(classify(206, 500, Some(0)), Answer::Restart);
        assert_eq!(classify(206, 500, Some(400)), Answer::Discard);
        assert_eq!(classify(206, 500, None), Answer::Discard);
        assert_eq!(classify(416, 500, None), Answer::PastEnd);
        assert_eq!(classify(416, 0, None), Answer::Fatal);
        for status in [408, 429, 500, 502, 503, 504] {
            assert_eq!(classify(status, 0, None), Answer::Retry, "{status}");
        }
        for status in [301, 401, 403, 404, 410] {
            assert_eq!(classify(status, 0, None), Answer::Fatal, "{status}");
        }
    }

    #[test]
    fn content_range() {
        assert_eq!(range_start("bytes 100-999/1000"), Some(100));
        assert_eq!(range_start("bytes 0-0/*"), Some(0));
        assert_eq!(range_start("bytes */1000"), None);
        assert_eq!(range_start("items 1-2/3"), None);
    }

    #[test]
    fn the_write_hook_fails_at_its_limit() {
        let dir = tempfile::tempdir().unwrap();
        let mut out = FaultyWriter {
            file: File::create(dir.path().join("f")).unwrap(),
            written: 0,
            fail_after: Some(10),
        };
        let err = out.write_all(&[0u8; 25]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::StorageFull);
        assert_eq!(std::fs::metadata(dir.path().join("f")).unwrap().len(), 10);
    }
}
