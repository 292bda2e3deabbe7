//! The long commands: `users import`, `employees import` and `send`, with
//! progress bars.

use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;
use tidings_engine::{AppId, Audience, Match, OpenId, SendSpec, SystemClock};
use tidings_http::SendView;
use tidings_service::{ImportFormat, ImportKind, NewSegmentSend, Services};

use crate::cli::{EmployeesCommand, SendArgs, UsersCommand};
use crate::config::Settings;

async fn services(settings: &Settings) -> anyhow::Result<Services> {
    let store = crate::store::open(&settings.database()?).await?;
    Ok(Services::build(store, Arc::new(SystemClock), settings.service_config()).await?)
}

pub(crate) async fn users(settings: &Settings, cmd: UsersCommand) -> anyhow::Result<()> {
    let UsersCommand::Import { file, app, format } = cmd;
    let appid = AppId::parse(&app)?;
    let format = match format.as_deref() {
        Some("csv") => ImportFormat::Csv,
        Some(_) => ImportFormat::Ndjson,
        None if file
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv")) =>
        {
            ImportFormat::Csv
        }
        None => ImportFormat::Ndjson,
    };
    import(settings, &file, &appid, format, ImportKind::Users).await
}

pub(crate) async fn employees(settings: &Settings, cmd: EmployeesCommand) -> anyhow::Result<()> {
    let EmployeesCommand::Import { file, app } = cmd;
    let appid = AppId::parse(&app)?;
    import(
        settings,
        &file,
        &appid,
        ImportFormat::Ndjson,
        ImportKind::Employees,
    )
    .await
}

async fn import(
    settings: &Settings,
    file: &std::path::Path,
    appid: &AppId,
    format: ImportFormat,
    kind: ImportKind,
) -> anyhow::Result<()> {
    let services = services(settings).await?;
    let size = tokio::fs::metadata(file).await?.len();
    let input = tokio::fs::File::open(file).await?;
    let bar = ProgressBar::new(size).with_style(ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {msg}",
    )?);
    let counted = CountingReader {
        inner: input,
        bar: bar.clone(),
    };
    let importer = services.imports.start_kind(appid, kind).await?;
    let report = importer
        .run(format, counted, services.imports.now(), |r| {
            if r.lines % 1000 == 0 {
                bar.set_message(format!("{} lines, {} failed", r.lines, r.failed));
            }
        })
        .await?;
    bar.finish_and_clear();
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}

/// Advances a progress bar by the bytes read.
struct CountingReader<R> {
    inner: R,
    bar: ProgressBar,
}

impl<R: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for CountingReader<R> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let out = std::pin::Pin::new(&mut self.inner).poll_read(cx, buf);
        let read = buf.filled().len() - before;
        self.bar.inc(read as u64);
        out
    }
}

fn audience(args: &SendArgs) -> anyhow::Result<Audience> {
    let chosen = [!args.tags.is_empty(), !args.openids.is_empty(), args.all];
    anyhow::ensure!(
        chosen.iter().filter(|c| **c).count() == 1,
        "choose one audience: --tag, --openid or --all"
    );
    Ok(if args.all {
        Audience::All { all: true }
    } else if !args.tags.is_empty() {
        Audience::Tags {
            tag_ids: args.tags.clone(),
            r#match: if args.match_ == "all" {
                Match::All
            } else {
                Match::Any
            },
        }
    } else {
        Audience::OpenIds {
            openids: args
                .openids
                .iter()
                .map(|o| OpenId::parse(o))
                .collect::<Result<_, _>>()?,
        }
    })
}

pub(crate) async fn send(settings: &Settings, args: SendArgs) -> anyhow::Result<()> {
    let appid = AppId::parse(&args.app)?;
    let data: Value =
        serde_json::from_str(&args.data).map_err(|e| anyhow::anyhow!("--data is not JSON: {e}"))?;
    let services = services(settings).await?;
    let send = services
        .segments
        .create(
            &appid,
            NewSegmentSend {
                template_id: args.template.clone(),
                spec: SendSpec {
                    data: Some(data),
                    page: args.page.clone(),
                    url: args.url.clone(),
                    color: None,
                    emphasis_keyword: None,
                    miniprogram: None,
                    marketing_id: None,
                    workspace: None,
                    audience: Some(audience(&args)?),
                },
            },
        )
        .await?;
    if !args.wait {
        println!("{}", serde_json::to_string(&SendView::from(send))?);
        return Ok(());
    }
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(services.worker.clone().run(stopped));
    let bar = ProgressBar::new(send.expects.max(0) as u64).with_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} {msg}")?,
    );
    let done = loop {
        let s = services.segments.get(send.id).await?;
        bar.set_position((s.oks + s.fails) as u64);
        bar.set_message(format!("{} ({} failed)", s.state.as_str(), s.fails));
        if s.state.is_done() {
            break s;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    bar.finish_and_clear();
    let _ = stop.send(true);
    let _ = worker.await;
    println!("{}", serde_json::to_string(&SendView::from(done))?);
    Ok(())
}
