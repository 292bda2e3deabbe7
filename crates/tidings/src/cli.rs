//! The command line: `tidings serve`, and app administration straight
//! against the database given by `--database-url`.

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use serde::Serialize;
use tidings_engine::{AppId, AppKind, AppName, Pages, SystemClock};
use tidings_http::AppView;
use tidings_service::{NewApp, Services};
use tidings_store::AppPatch;

use crate::config::{Overrides, Settings};
use crate::logging::{self, LogFormat};

/// Tidings: a self-hosted template-message platform.
///
/// Settings are read from defaults, then `tidings.toml` (or --config), then
/// TIDINGS_* environment variables, then these flags; later ones win.
#[derive(Debug, Parser)]
#[command(name = "tidings", version, about, long_about)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Settings file (TOML) [default: ./tidings.toml, if it exists]
    #[arg(long, global = true, env = "TIDINGS_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long, global = true, env = "TIDINGS_LISTEN", value_name = "ADDR")]
    pub listen: Option<std::net::SocketAddr>,
    /// Database: sqlite://PATH or postgres://USER@HOST:PORT/DB [default: sqlite://tidings.db]
    #[arg(long, global = true, env = "TIDINGS_DATABASE_URL", value_name = "URL")]
    pub database_url: Option<String>,
    /// Log format on stderr [default: text]
    #[arg(long, global = true, env = "TIDINGS_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (migrates the database first).
    Serve,
    /// Manage apps.
    #[command(subcommand)]
    App(AppCommand),
    /// Manage users.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Manage a workspace app's employees.
    #[command(subcommand)]
    Employees(EmployeesCommand),
    /// Send a template to a segment of an app's users, as a job.
    Send(SendArgs),
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Print the effective settings as JSON (the admin key is never shown).
    Config,
}

#[derive(Debug, Subcommand)]
pub enum AppCommand {
    /// Register an app; prints {"appid", "secret"}. The secret is shown only here.
    Create {
        /// Display name, 1 to 64 characters.
        #[arg(long)]
        name: String,
        /// miniprogram, official_account or workspace.
        #[arg(long)]
        kind: String,
        /// A valid page of a mini program (repeat for several).
        #[arg(long = "page", value_name = "PATH")]
        pages: Vec<String>,
    },
    /// List apps as JSON lines, ordered by appid.
    List {
        /// Start after this appid.
        #[arg(long)]
        after: Option<String>,
        /// At most this many apps (1 to 200).
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Show one app.
    Get { appid: String },
    /// Change an app's name or pages.
    Update {
        appid: String,
        /// New display name.
        #[arg(long)]
        name: Option<String>,
        /// The new full list of valid pages (repeat for several).
        #[arg(long = "page", value_name = "PATH")]
        pages: Vec<String>,
        /// Remove every page.
        #[arg(long, conflicts_with = "pages")]
        clear_pages: bool,
        /// Sends allowed per day (default 1,000,000).
        #[arg(long, value_name = "N")]
        daily_send_limit: Option<u32>,
    },
    /// Replace an app's secret; prints {"appid", "secret"} with the new one.
    RotateSecret { appid: String },
    /// Disable an app: its secret and tokens stop working.
    Disable { appid: String },
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Import users from a file, streamed, with a progress bar: NDJSON (one
    /// `{"openid", "nickname", ...profile}` a line) or CSV with a header row.
    Import {
        /// The file to read.
        file: PathBuf,
        /// The appid to import into.
        #[arg(long)]
        app: String,
        /// ndjson or csv [default: csv when the file name ends in .csv]
        #[arg(long, value_parser = ["ndjson", "csv"])]
        format: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum EmployeesCommand {
    /// Import employees from an NDJSON file, streamed, with a progress bar:
    /// one `{"client_id", "name", "orgs": [...], "devices": [...]}` a line.
    Import {
        /// The file to read.
        file: PathBuf,
        /// The workspace app's appid.
        #[arg(long)]
        app: String,
    },
}

#[derive(Debug, Args)]
pub struct SendArgs {
    /// The appid sending.
    #[arg(long)]
    pub(crate) app: String,
    /// One of the app's template ids (ids may start with a hyphen).
    #[arg(long, allow_hyphen_values = true)]
    pub(crate) template: String,
    /// The data object, as JSON ({"keyword1": {"value": "..."}}); values may
    /// hold {{PROFILE-field}} and {{PROFILE-field|default}}.
    #[arg(long, default_value = "{}")]
    pub(crate) data: String,
    /// Send to users with this tag id (repeat for several).
    #[arg(long = "tag", value_name = "TAG_ID")]
    pub(crate) tags: Vec<i64>,
    /// With several tags: any (users with one of them) or all.
    #[arg(long = "match", default_value = "any", value_parser = ["any", "all"])]
    pub(crate) match_: String,
    /// Send to this openid (repeat for several).
    #[arg(long = "openid", value_name = "OPENID")]
    pub(crate) openids: Vec<String>,
    /// Send to every user of the app.
    #[arg(long)]
    pub(crate) all: bool,
    /// The mini-program page a card opens.
    #[arg(long)]
    pub(crate) page: Option<String>,
    /// The web page a card opens.
    #[arg(long)]
    pub(crate) url: Option<String>,
    /// Wait for the job, with a progress bar, working on it in this process
    /// too (so it finishes whether or not a server is running).
    #[arg(long)]
    pub(crate) wait: bool,
}

#[derive(Serialize)]
struct Credentials<'a> {
    appid: &'a str,
    secret: &'a str,
}

fn print_json(v: &impl Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string(v)?);
    Ok(())
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let overrides = Overrides {
        listen: cli.global.listen,
        database_url: cli.global.database_url.clone(),
        log_format: cli.global.log_format,
    };
    let settings = Settings::load(cli.global.config.as_deref(), &overrides)?;
    logging::init(settings.log_format);
    match cli.command {
        Command::Serve => serve(&settings).await,
        Command::Migrate => {
            crate::store::open(&settings.database()?).await?;
            eprintln!("database is up to date");
            Ok(())
        }
        Command::Config => print_json(&settings),
        Command::App(cmd) => app(&settings, cmd).await,
        Command::Users(cmd) => crate::cli_jobs::users(&settings, cmd).await,
        Command::Employees(cmd) => crate::cli_jobs::employees(&settings, cmd).await,
        Command::Send(args) => crate::cli_jobs::send(&settings, args).await,
    }
}

async fn serve(settings: &Settings) -> anyhow::Result<()> {
    // Listening for the signals starts before the server answers anything:
    // a SIGTERM sent right after its first answer stops it gracefully.
    let shutdown = shutdown_signal()?;
    let mut running = crate::server::start(settings).await?;
    if let Some(key) = running.generated_admin_key.take() {
        // Shown once, on the terminal, never through the logs.
        println!("Generated an admin key. It is shown only this once; keep it safe:");
        println!("  TIDINGS_ADMIN_KEY={key}");
    }
    running.stop_on(shutdown);
    running.wait().await
}

/// Ctrl-C or SIGTERM, each listened for from this call on (their default
/// action, ending the process at once, is replaced here).
#[cfg(unix)]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut term = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {},
            _ = term.recv() => {},
        }
        tracing::info!("shutting down");
    })
}

/// Ctrl-C.
#[cfg(not(unix))]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    let ctrl_c = tokio::signal::ctrl_c();
    Ok(async move {
        let _ = ctrl_c.await;
        tracing::info!("shutting down");
    })
}

async fn app(settings: &Settings, cmd: AppCommand) -> anyhow::Result<()> {
    let store = crate::store::open(&settings.database()?).await?;
    let services = Services::build(store, Arc::new(SystemClock), settings.service_config()).await?;
    let apps = &services.apps;
    let parse_id = |raw: &str| AppId::parse(raw).map_err(anyhow::Error::from);
    match cmd {
        AppCommand::Create { name, kind, pages } => {
            let new = NewApp {
                name: AppName::parse(&name)?,
                kind: kind.parse::<AppKind>()?,
                pages: Pages::parse_all(&pages)?,
            };
            let (app, secret) = apps.create(new).await?;
            print_json(&Credentials {
                appid: app.appid.as_str(),
                secret: secret.expose(),
            })
        }
        AppCommand::List { after, limit } => {
            let after = after.as_deref().map(parse_id).transpose()?;
            for app in apps.list(after.as_ref(), limit).await? {
                print_json(&AppView::from(app))?;
            }
            Ok(())
        }
        AppCommand::Get { appid } => {
            print_json(&AppView::from(apps.get(&parse_id(&appid)?).await?))
        }
        AppCommand::Update {
            appid,
            name,
            pages,
            clear_pages,
            daily_send_limit,
        } => {
            let patch = AppPatch {
                name: name.as_deref().map(AppName::parse).transpose()?,
                pages: if clear_pages || !pages.is_empty() {
                    Some(Pages::parse_all(&pages)?)
                } else {
                    None
                },
                daily_send_limit,
            };
            print_json(&AppView::from(
                apps.update(&parse_id(&appid)?, patch).await?,
            ))
        }
        AppCommand::RotateSecret { appid } => {
            let (app, secret) = apps.rotate_secret(&parse_id(&appid)?).await?;
            print_json(&Credentials {
                appid: app.appid.as_str(),
                secret: secret.expose(),
            })
        }
        AppCommand::Disable { appid } => {
            print_json(&AppView::from(apps.disable(&parse_id(&appid)?).await?))
        }
    }
}
