//! `POST /api/v1/apps/{appid}/users:import`: NDJSON or CSV, streamed.

use axum::extract::{Path, Request};
use axum::http::{header, StatusCode};
use axum::Json;
use futures_util::{StreamExt, TryStreamExt};
use tidings_engine::AppId;
use tidings_service::{parse_csv_record, parse_ndjson_line, ImportReport, Importer};
use tokio::io::AsyncBufReadExt;
use tokio_util::io::StreamReader;

use super::auth::Admin;
use super::error::ApiError;
use crate::State;

/// The longest line (or CSV record) accepted.
const MAX_LINE: usize = 64 * 1024;

fn body_reader(req: Request) -> impl tokio::io::AsyncRead + Unpin + Send {
    StreamReader::new(
        req.into_body()
            .into_data_stream()
            .map_err(std::io::Error::other),
    )
}

fn unreadable(e: impl std::fmt::Display) -> ApiError {
    ApiError::invalid(format!("unreadable body: {e}"))
}

pub async fn import(
    axum::extract::State(state): State,
    _: Admin,
    Path(appid): Path<String>,
    req: Request,
) -> Result<Json<ImportReport>, ApiError> {
    let appid = AppId::parse(&appid).map_err(|e| ApiError::invalid(e.to_string()))?;
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
    let importer = state.services.imports.start(&appid).await?;
    let now = state.services.imports.now();
    let report = match content_type.as_str() {
        "application/x-ndjson" | "application/jsonl" | "application/json-seq" => {
            ndjson(importer, body_reader(req), now).await?
        }
        "text/csv" => csv(importer, body_reader(req), now).await?,
        _ => {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send application/x-ndjson or text/csv",
            ))
        }
    };
    tracing::info!(appid = %appid, lines = report.lines, imported = report.imported, failed = report.failed, "users imported");
    Ok(Json(report))
}

async fn ndjson(
    mut importer: Importer,
    body: impl tokio::io::AsyncRead + Unpin,
    now: tidings_engine::Timestamp,
) -> Result<ImportReport, ApiError> {
    let mut lines = tokio::io::BufReader::new(body).lines();
    while let Some(line) = lines.next_line().await.map_err(unreadable)? {
        if line.len() > MAX_LINE {
            importer
                .push(Err(format!("line longer than {MAX_LINE} bytes")))
                .await?;
            continue;
        }
        if line.trim().is_empty() {
            importer.skip();
            continue;
        }
        let parsed = parse_ndjson_line(importer.appid(), &line, now);
        importer.push(parsed).await?;
    }
    Ok(importer.finish().await?)
}

async fn csv(
    mut importer: Importer,
    body: impl tokio::io::AsyncRead + Unpin + Send,
    now: tidings_engine::Timestamp,
) -> Result<ImportReport, ApiError> {
    let mut reader = csv_async::AsyncReaderBuilder::new()
        .flexible(true)
        .trim(csv_async::Trim::All)
        .create_reader(body);
    let header: Vec<String> = reader
        .headers()
        .await
        .map_err(unreadable)?
        .iter()
        .map(str::to_owned)
        .collect();
    if !header.iter().any(|h| h == "openid") {
        return Err(ApiError::invalid(
            "the CSV header must name an openid column",
        ));
    }
    let mut records = reader.records();
    while let Some(record) = records.next().await {
        let parsed = match record {
            Ok(r) => {
                let fields: Vec<String> = r.iter().map(str::to_owned).collect();
                parse_csv_record(importer.appid(), &header, &fields, now)
            }
            Err(e) => Err(format!("malformed CSV: {e}")),
        };
        importer.push(parsed).await?;
    }
    Ok(importer.finish().await?)
}
