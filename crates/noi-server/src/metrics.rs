//! Prometheus metrics (`--metrics`): audio processed, inference time, open streams, queue.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

pub struct Metrics {
    registry: Registry,
    pub audio_seconds: Counter<f64, AtomicU64>,
    pub inference_seconds: Histogram,
    pub active_streams: Gauge,
    pub queue_depth: Gauge,
    pub requests: Counter,
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("noi");
        let audio_seconds = Counter::<f64, AtomicU64>::default();
        let inference_seconds = Histogram::new(exponential_buckets(0.01, 2.0, 12));
        let active_streams = Gauge::default();
        let queue_depth = Gauge::default();
        let requests = Counter::default();
        registry.register(
            "audio_seconds_processed",
            "Seconds of audio transcribed",
            audio_seconds.clone(),
        );
        registry.register(
            "inference_seconds",
            "Time spent transcribing one request or stream",
            inference_seconds.clone(),
        );
        registry.register(
            "active_streams",
            "Open WebSocket and SSE streams",
            active_streams.clone(),
        );
        registry.register(
            "queue_depth",
            "Whole-file transcriptions waiting for a slot",
            queue_depth.clone(),
        );
        registry.register("http_requests", "HTTP requests answered", requests.clone());
        Metrics {
            registry,
            audio_seconds,
            inference_seconds,
            active_streams,
            queue_depth,
            requests,
        }
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
