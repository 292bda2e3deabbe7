//! The request metrics' handles, registered once for each method, status
//! and route: a metric named by its labels on every request is looked up
//! in the recorder every time (its key built, hashed and compared).

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::Duration;

use axum::http::{Method, StatusCode};
use metrics::{Counter, Histogram};

use crate::observability::{method_label, status_label};

/// One router's request metrics. Handles are taken from the recorder
/// installed when the router's first request of a kind arrives.
#[derive(Default)]
pub struct RequestMetrics {
    by_call: RwLock<HashMap<(Method, StatusCode), HashMap<String, Handles>>>,
}

#[derive(Clone)]
struct Handles {
    requests: Counter,
    duration: Histogram,
}

impl RequestMetrics {
    /// Counts one request and records how long it took.
    pub fn record(&self, method: &Method, route: &str, status: StatusCode, elapsed: Duration) {
        let known = self
            .by_call
            .read()
            .ok()
            .and_then(|m| m.get(&(method.clone(), status))?.get(route).cloned());
        let handles = known.unwrap_or_else(|| self.register(method, route, status));
        handles.requests.increment(1);
        handles.duration.record(elapsed.as_secs_f64());
    }

    fn register(&self, method: &Method, route: &str, status: StatusCode) -> Handles {
        let label = method_label(method);
        let handles = Handles {
            requests: metrics::counter!(
                "tidings_http_requests_total",
                "method" => label.clone(),
                "route" => route.to_owned(),
                "status" => status_label(status),
            ),
            duration: metrics::histogram!(
                "tidings_http_request_duration_seconds",
                "method" => label,
                "route" => route.to_owned(),
            ),
        };
        if let Ok(mut m) = self.by_call.write() {
            m.entry((method.clone(), status))
                .or_default()
                .insert(route.to_owned(), handles.clone());
        }
        handles
    }
}
