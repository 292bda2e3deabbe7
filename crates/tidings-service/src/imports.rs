//! Importing users: NDJSON or CSV, one user a line, written in batches so
//! that millions of lines never sit in memory.

use std::sync::Arc;

use serde::Serialize;
use tidings_engine::{AppId, Clock, OpenId, User};
use tidings_store::Store;

use crate::apps::AppService;
use crate::ServiceError;

/// Users written per transaction.
pub const IMPORT_BATCH: usize = 1000;
/// Line errors reported at most (the count goes on).
pub const MAX_REPORTED_ERRORS: usize = 100;

/// A line's user, or why the line was refused.
pub type ParsedLine = Result<User, String>;

/// What an import did.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct ImportReport {
    pub lines: u64,
    pub imported: u64,
    pub failed: u64,
    /// The first errors, with their 1-based line numbers.
    pub errors: Vec<LineError>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct LineError {
    pub line: u64,
    pub message: String,
}

fn user_from(
    appid: &AppId,
    mut obj: serde_json::Map<String, serde_json::Value>,
    now: tidings_engine::Timestamp,
) -> ParsedLine {
    let openid = match obj.remove("openid") {
        Some(serde_json::Value::String(s)) => OpenId::parse(&s).map_err(|e| e.to_string())?,
        Some(_) => return Err("openid must be a string".into()),
        None => return Err("openid is missing".into()),
    };
    let nickname = match obj.remove("nickname") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) if s.chars().count() <= 64 => Some(s),
        Some(_) => return Err("nickname must be a string of at most 64 characters".into()),
    };
    Ok(User {
        appid: appid.clone(),
        openid,
        nickname,
        profile: obj,
        created_at: now,
    })
}

/// Reads one NDJSON line: `{"openid": ..., "nickname": ..., ...profile}`.
pub fn parse_ndjson_line(appid: &AppId, line: &str, now: tidings_engine::Timestamp) -> ParsedLine {
    match serde_json::from_str::<serde_json::Value>(line) {
        Ok(serde_json::Value::Object(obj)) => user_from(appid, obj, now),
        Ok(_) => Err("a line must be a JSON object".into()),
        Err(e) => Err(format!("malformed JSON: {e}")),
    }
}

/// Reads one CSV record given the header row; columns other than openid and
/// nickname are profile fields (strings; empty cells are left out).
pub fn parse_csv_record(
    appid: &AppId,
    header: &[String],
    record: &[String],
    now: tidings_engine::Timestamp,
) -> ParsedLine {
    if record.len() != header.len() {
        return Err(format!(
            "{} fields where the header has {}",
            record.len(),
            header.len()
        ));
    }
    let obj = header
        .iter()
        .zip(record)
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    user_from(appid, obj, now)
}

/// Reads one NDJSON employee line: `{"client_id", "name", "orgs": [...],
/// "devices": [...]}`.
pub fn parse_employee_line(
    appid: &AppId,
    line: &str,
    now: tidings_engine::Timestamp,
) -> ParsedLine {
    match serde_json::from_str::<serde_json::Value>(line) {
        Ok(serde_json::Value::Object(obj)) => {
            tidings_engine::employee::parse_employee(appid, obj, now).map_err(|e| e.to_string())
        }
        Ok(_) => Err("a line must be a JSON object".into()),
        Err(e) => Err(format!("malformed JSON: {e}")),
    }
}

/// What an import's lines are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    Users,
    /// A workspace app's employees (NDJSON only).
    Employees,
}

/// Collects parsed lines and writes them in batches.
pub struct Importer {
    store: Arc<dyn Store>,
    appid: AppId,
    kind: ImportKind,
    batch: Vec<User>,
    report: ImportReport,
}

#[derive(Clone)]
pub struct ImportService {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    apps: AppService,
}

impl ImportService {
    pub(crate) fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, apps: AppService) -> Self {
        Self { store, clock, apps }
    }

    /// Starts an import into an existing app.
    pub async fn start(&self, appid: &AppId) -> Result<Importer, ServiceError> {
        self.start_kind(appid, ImportKind::Users).await
    }

    /// Starts an import of lines of `kind`; employees go to workspace apps.
    pub async fn start_kind(
        &self,
        appid: &AppId,
        kind: ImportKind,
    ) -> Result<Importer, ServiceError> {
        let app = self.apps.get(appid).await?;
        if kind == ImportKind::Employees && app.kind != tidings_engine::AppKind::Workspace {
            return Err(ServiceError::ApiUnauthorized("workspace apps only"));
        }
        Ok(Importer {
            store: self.store.clone(),
            appid: appid.clone(),
            kind,
            batch: Vec::with_capacity(IMPORT_BATCH),
            report: ImportReport::default(),
        })
    }

    pub fn now(&self) -> tidings_engine::Timestamp {
        self.clock.now()
    }
}

impl Importer {
    pub fn appid(&self) -> &AppId {
        &self.appid
    }

    /// Takes the next line (1-based numbers are counted here); writes a
    /// batch when one is full.
    pub async fn push(&mut self, parsed: ParsedLine) -> Result<(), ServiceError> {
        self.report.lines += 1;
        match parsed {
            Ok(user) => {
                self.batch.push(user);
                if self.batch.len() >= IMPORT_BATCH {
                    self.flush().await?;
                }
            }
            Err(message) => {
                self.report.failed += 1;
                if self.report.errors.len() < MAX_REPORTED_ERRORS {
                    self.report.errors.push(LineError {
                        line: self.report.lines,
                        message,
                    });
                }
            }
        }
        Ok(())
    }

    /// Counts a line that carried nothing (a blank line).
    pub fn skip(&mut self) {
        self.report.lines += 1;
    }

    async fn flush(&mut self) -> Result<(), ServiceError> {
        if self.batch.is_empty() {
            return Ok(());
        }
        // The last line of an openid wins within a batch too.
        let mut batch = std::mem::take(&mut self.batch);
        let n = batch.len() as u64;
        batch.reverse();
        let mut seen = std::collections::HashSet::new();
        batch.retain(|u| seen.insert(u.openid.clone()));
        self.store.upsert_users(&batch).await?;
        self.report.imported += n;
        Ok(())
    }

    pub fn report(&self) -> &ImportReport {
        &self.report
    }

    pub async fn finish(mut self) -> Result<ImportReport, ServiceError> {
        self.flush().await?;
        if self.report.imported >= IMPORT_BATCH as u64 {
            self.store.analyze_users().await?;
        }
        Ok(self.report)
    }
}

/// The longest NDJSON line accepted.
pub const MAX_LINE: usize = 64 * 1024;

/// The format of an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportFormat {
    Ndjson,
    Csv,
}

/// Why a whole import stopped (line errors are reported, not raised).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("unreadable input: {0}")]
    Read(String),
    #[error("the CSV header must name an openid column")]
    NoOpenIdColumn,
    #[error("employees are imported as NDJSON")]
    EmployeesAsCsv,
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl Importer {
    /// Reads the whole input, streaming, and writes it in batches. `progress`
    /// is called after each line with the report so far.
    pub async fn run<R>(
        mut self,
        format: ImportFormat,
        input: R,
        now: tidings_engine::Timestamp,
        mut progress: impl FnMut(&ImportReport),
    ) -> Result<ImportReport, ImportError>
    where
        R: tokio::io::AsyncRead + Unpin + Send,
    {
        match format {
            ImportFormat::Ndjson => {
                use tokio::io::AsyncBufReadExt;
                let mut lines = tokio::io::BufReader::new(input).lines();
                while let Some(line) = lines
                    .next_line()
                    .await
                    .map_err(|e| ImportError::Read(e.to_string()))?
                {
                    if line.len() > MAX_LINE {
                        self.push(Err(format!("line longer than {MAX_LINE} bytes")))
                            .await?;
                    } else if line.trim().is_empty() {
                        self.skip();
                    } else {
                        let parsed = match self.kind {
                            ImportKind::Users => parse_ndjson_line(&self.appid, &line, now),
                            ImportKind::Employees => parse_employee_line(&self.appid, &line, now),
                        };
                        self.push(parsed).await?;
                    }
                    progress(&self.report);
                }
            }
            ImportFormat::Csv if self.kind == ImportKind::Employees => {
                return Err(ImportError::EmployeesAsCsv);
            }
            ImportFormat::Csv => {
                use futures_util::StreamExt;
                let mut reader = csv_async::AsyncReaderBuilder::new()
                    .flexible(true)
                    .trim(csv_async::Trim::All)
                    .create_reader(input);
                let header: Vec<String> = reader
                    .headers()
                    .await
                    .map_err(|e| ImportError::Read(e.to_string()))?
                    .iter()
                    .map(str::to_owned)
                    .collect();
                if !header.iter().any(|h| h == "openid") {
                    return Err(ImportError::NoOpenIdColumn);
                }
                let mut records = reader.records();
                while let Some(record) = records.next().await {
                    let parsed = match record {
                        Ok(r) => {
                            let fields: Vec<String> = r.iter().map(str::to_owned).collect();
                            parse_csv_record(&self.appid, &header, &fields, now)
                        }
                        Err(e) => Err(format!("malformed CSV: {e}")),
                    };
                    self.push(parsed).await?;
                    progress(&self.report);
                }
            }
        }
        Ok(self.finish().await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tidings_engine::Timestamp;

    #[test]
    fn ndjson_lines_become_users() {
        let appid = AppId::generate();
        let now = Timestamp::from_millis(0);
        let u = parse_ndjson_line(
            &appid,
            r#"{"openid":"o1","nickname":"小明","city":"广州"}"#,
            now,
        )
        .unwrap();
        assert_eq!(u.openid.as_str(), "o1");
        assert_eq!(u.nickname.as_deref(), Some("小明"));
        assert_eq!(u.profile["city"], "广州");
        assert!(parse_ndjson_line(&appid, r#"{"nickname":"x"}"#, now)
            .unwrap_err()
            .contains("openid"));
        assert!(parse_ndjson_line(&appid, "[1]", now).is_err());
        assert!(parse_ndjson_line(&appid, "{bad", now)
            .unwrap_err()
            .contains("malformed"));
    }

    #[test]
    fn csv_records_use_the_header() {
        let appid = AppId::generate();
        let now = Timestamp::from_millis(0);
        let header: Vec<String> = ["openid", "nickname", "city"].map(String::from).to_vec();
        let rec: Vec<String> = ["o2", "小红", ""].map(String::from).to_vec();
        let u = parse_csv_record(&appid, &header, &rec, now).unwrap();
        assert_eq!(u.nickname.as_deref(), Some("小红"));
        assert!(u.profile.is_empty(), "empty cells are left out");
        assert!(parse_csv_record(&appid, &header, &rec[..2], now).is_err());
    }
}
