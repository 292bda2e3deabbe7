//! `POST /api/v1/apps/{appid}/users:import`: NDJSON or CSV, streamed;
//! `POST /api/v1/apps/{appid}/employees:import`: a workspace app's
//! employees, NDJSON, streamed.

use axum::extract::{Path, Request};
use axum::http::{header, StatusCode};
use axum::Json;
use futures_util::TryStreamExt;
use tidings_service::{ImportError, ImportFormat, ImportKind, ImportReport};
use tokio_util::io::StreamReader;

use super::auth::Admin;
use super::error::ApiError;
use crate::State;

pub async fn import(
    axum::extract::State(state): State,
    _: Admin,
    Path(appid): Path<String>,
    req: Request,
) -> Result<Json<ImportReport>, ApiError> {
    run(&state, &appid, req, ImportKind::Users).await
}

pub async fn import_employees(
    axum::extract::State(state): State,
    _: Admin,
    Path(appid): Path<String>,
    req: Request,
) -> Result<Json<ImportReport>, ApiError> {
    run(&state, &appid, req, ImportKind::Employees).await
}

async fn run(
    state: &crate::AppState,
    appid: &str,
    req: Request,
    kind: ImportKind,
) -> Result<Json<ImportReport>, ApiError> {
    let appid = super::users::appid(appid)?;
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let format = match content_type.as_str() {
        "application/x-ndjson" | "application/jsonl" => ImportFormat::Ndjson,
        "text/csv" => ImportFormat::Csv,
        _ => {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send application/x-ndjson or text/csv",
            ))
        }
    };
    let importer = state.services.imports.start_kind(&appid, kind).await?;
    let body = StreamReader::new(
        req.into_body()
            .into_data_stream()
            .map_err(std::io::Error::other),
    );
    let report = importer
        .run(format, body, state.services.imports.now(), |_| {})
        .await
        .map_err(|e| match e {
            ImportError::Service(s) => s.into(),
            other => ApiError::invalid(other.to_string()),
        })?;
    tracing::info!(%appid, ?kind, lines = report.lines, imported = report.imported, failed = report.failed, "imported");
    Ok(Json(report))
}
