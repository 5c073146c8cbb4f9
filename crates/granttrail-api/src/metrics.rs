//! Prometheus metrics: requests by matched route and status, latency,
//! events appended and how long the store takes to commit.
//!
//! Labels are low-cardinality on purpose: the matched route template
//! (`/api/v1/projects/{id}`), never the raw path.

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use granttrail_store::{
    AppendOutcome, AppendRequest, EventStore, IdempotencyRecord, StoreError, StoredEvent,
    StreamBound, StreamHead,
};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use uuid::Uuid;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

/// Every metric the server exports.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    /// Events appended since start.
    pub events_appended: Counter,
    commit_latency: Histogram,
    /// The position the project-list runner stopped at (0 while it runs).
    pub projection_stuck_at: Gauge,
}

fn latency_histogram() -> Histogram {
    // 0.5 ms to ~16 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// A fresh registry with every metric registered.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("granttrail");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: Family<RouteLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(latency_histogram);
        let events_appended = Counter::default();
        let commit_latency = latency_histogram();
        let projection_stuck_at = Gauge::default();
        registry.register(
            "projection_stuck_at_position",
            "Global position of the event the project list cannot apply; 0 while it runs",
            projection_stuck_at.clone(),
        );
        registry.register(
            "http_requests",
            "HTTP requests by matched route, method and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by matched route",
            latency.clone(),
        );
        registry.register(
            "events_appended",
            "Events appended to the store",
            events_appended.clone(),
        );
        registry.register(
            "store_commit_duration_seconds",
            "Time from append request to durable commit",
            commit_latency.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            events_appended,
            commit_latency,
            projection_stuck_at,
        }
    }

    /// The text exposition.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

/// Middleware counting and timing every request by its matched route.
pub async fn record(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let method = request.method().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    metrics
        .latency
        .get_or_create(&RouteLabels {
            route: route.clone(),
        })
        .observe(started.elapsed().as_secs_f64());
    metrics
        .requests
        .get_or_create(&RequestLabels {
            route,
            method,
            status: response.status().as_u16(),
        })
        .inc();
    response
}

/// An event store that times its commits and counts appended events.
pub struct MeteredStore {
    inner: Arc<dyn EventStore>,
    metrics: Arc<Metrics>,
}

impl MeteredStore {
    /// Wraps `inner`, reporting to `metrics`.
    pub fn new(inner: Arc<dyn EventStore>, metrics: Arc<Metrics>) -> MeteredStore {
        MeteredStore { inner, metrics }
    }
}

#[async_trait]
impl EventStore for MeteredStore {
    async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, StoreError> {
        let started = Instant::now();
        let outcome = self.inner.append(request).await;
        self.metrics
            .commit_latency
            .observe(started.elapsed().as_secs_f64());
        if let Ok(AppendOutcome::Appended(events)) = &outcome {
            self.metrics.events_appended.inc_by(events.len() as u64);
        }
        outcome
    }

    async fn read_stream(
        &self,
        stream_id: Uuid,
        bound: StreamBound,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        self.inner.read_stream(stream_id, bound).await
    }

    async fn read_all(&self, after: i64, limit: u32) -> Result<Vec<StoredEvent>, StoreError> {
        self.inner.read_all(after, limit).await
    }

    async fn stream_head(&self, stream_id: Uuid) -> Result<Option<StreamHead>, StoreError> {
        self.inner.stream_head(stream_id).await
    }

    async fn stream_ids(&self) -> Result<Vec<Uuid>, StoreError> {
        self.inner.stream_ids().await
    }

    async fn find_idempotency(
        &self,
        actor_id: &str,
        key: &str,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        self.inner.find_idempotency(actor_id, key).await
    }

    async fn last_position(&self) -> Result<i64, StoreError> {
        self.inner.last_position().await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.inner.ping().await
    }

    fn subscribe(&self) -> tokio::sync::watch::Receiver<i64> {
        self.inner.subscribe()
    }

    fn writes_stopped(&self) -> Option<String> {
        self.inner.writes_stopped()
    }

    async fn check_writable(&self) -> Result<(), StoreError> {
        self.inner.check_writable().await
    }

    fn positions_are_dense(&self) -> bool {
        self.inner.positions_are_dense()
    }

    async fn read_hashes(
        &self,
        after: i64,
        limit: u32,
    ) -> Result<Vec<granttrail_store::EventHash>, StoreError> {
        self.inner.read_hashes(after, limit).await
    }

    fn known_head(&self, stream_id: Uuid) -> Option<u64> {
        self.inner.known_head(stream_id)
    }

    async fn mark_told(&self, position: i64) -> Result<(), StoreError> {
        self.inner.mark_told(position).await
    }
}
