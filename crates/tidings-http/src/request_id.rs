//! Every request gets an id, shaped like WeChat's `rid` (three groups of
//! eight hex digits), returned as `x-request-id` and carried by logs.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use rand::Rng;

#[derive(Debug, Clone)]
pub struct RequestId(pub String);

impl RequestId {
    fn generate() -> Self {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as u32)
            .unwrap_or(0);
        let mut rng = rand::thread_rng();
        Self(format!(
            "{secs:08x}-{:08x}-{:08x}",
            rng.gen::<u32>(),
            rng.gen::<u32>()
        ))
    }
}

pub async fn assign(mut req: Request, next: Next) -> Response {
    let id = RequestId::generate();
    req.extensions_mut().insert(id.clone());
    let mut res = next.run(req).await;
    if let Ok(v) = HeaderValue::from_str(&id.0) {
        res.headers_mut().insert("x-request-id", v);
    }
    res.extensions_mut().insert(id);
    res
}
