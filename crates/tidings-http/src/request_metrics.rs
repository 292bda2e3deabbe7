//! The request metrics' handles, registered once for each method, status
//! and route: a metric named by its labels on every request is looked up
//! in the recorder every time (its key built, hashed and compared). The
//! labels come from bounded sets (the matched route or `unmatched`, the
//! usual methods or `OTHER`), so neither the handles nor the series grow
//! with what clients send.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::Duration;

use axum::http::{Method, StatusCode};
use metrics::{Counter, Histogram};
use tidings_service::FastHash;

/// One router's request metrics. Handles are taken from the recorder
/// installed when the router's first request of a kind arrives.
#[derive(Default)]
pub struct RequestMetrics {
    by_call: RwLock<HashMap<(&'static str, StatusCode), ByRoute, FastHash>>,
}

/// The handles of one method and status, by route.
type ByRoute = HashMap<String, Handles, FastHash>;

#[derive(Clone)]
struct Handles {
    requests: Counter,
    duration: Histogram,
}

impl RequestMetrics {
    /// Counts one request and records how long it took.
    pub fn record(&self, method: &Method, route: &str, status: StatusCode, elapsed: Duration) {
        let label = method_label(method);
        let record = |h: &Handles| {
            h.requests.increment(1);
            h.duration.record(elapsed.as_secs_f64());
        };
        if let Ok(m) = self.by_call.read() {
            if let Some(h) = m.get(&(label, status)).and_then(|r| r.get(route)) {
                return record(h);
            }
        }
        record(&self.register(label, route, status));
    }

    fn register(&self, label: &'static str, route: &str, status: StatusCode) -> Handles {
        let handles = Handles {
            requests: metrics::counter!(
                "tidings_http_requests_total",
                "method" => label,
                "route" => route.to_owned(),
                "status" => status.as_u16().to_string(),
            ),
            duration: metrics::histogram!(
                "tidings_http_request_duration_seconds",
                "method" => label,
                "route" => route.to_owned(),
            ),
        };
        if let Ok(mut m) = self.by_call.write() {
            m.entry((label, status))
                .or_default()
                .insert(route.to_owned(), handles.clone());
        }
        handles
    }
}

/// The method as a metric label: the usual ones by name, any other as
/// `OTHER`.
fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whatever method a client sends, the label is one of a few.
    #[test]
    fn methods_label_from_a_bounded_set() {
        assert_eq!(method_label(&Method::POST), "POST");
        assert_eq!(method_label(&Method::HEAD), "HEAD");
        let made_up = Method::from_bytes(b"BREW").unwrap();
        assert_eq!(method_label(&made_up), "OTHER");
    }
}
