//! Services: the engine's rules applied to the store. Every API dialect calls
//! these and maps their results and errors to its own wire format.

mod admin;
mod apps;
mod cache;
mod employees;
mod error;
mod governance;
mod hub;
mod imports;
mod inbox;
mod library;
mod limiter;
mod marketing;
mod official;
mod rounds;
mod segments;
mod sends;
mod tags;
mod templates;
mod tokens;
mod users;
mod webhooks;
mod worker;
mod workspace;

use std::sync::Arc;
use std::time::Duration;

use tidings_engine::{Clock, TokenPolicy};
use tidings_store::{Store, StoreResult};

pub use admin::{AdminAuth, AdminKeySource};
pub use apps::{AppService, NewApp, MAX_PAGE as MAX_APPS_PAGE};
pub use cache::FastHash;
pub use employees::{EmployeePatch, EmployeeService};
pub use error::ServiceError;
pub use governance::{GovernanceService, MarketingScan, MAX_GOVERNANCE_PAGE};
pub use hub::{InboxChanged, InboxHub};
pub use imports::{
    ImportError, ImportFormat, ImportKind, ImportReport, ImportService, Importer, LineError,
};
pub use inbox::{InboxService, MAX_INBOX_PAGE};
pub use library::{LibraryService, MAX_LIBRARY_PAGE};
pub use marketing::{MarketingInput, MarketingService};
pub use official::{OaSendRequest, OfficialService};
pub use segments::{NewSegmentSend, SegmentService, RECIPIENT_STATUSES};
pub use sends::{SendRequest, SendService};
pub use tags::TagService;
pub use templates::{TemplateService, MAX_TEMPLATE_PAGE};
pub use tokens::{Caller, Credentials, IssuedToken, TokenService};
pub use users::{NewUser, UserService};
pub use webhooks::{Dispatcher, WebhookConfig, WebhookReach, WebhookService};
pub use worker::{Worker, WorkerConfig};
pub use workspace::{
    PushPlan, PushRequest, TemplateUpdate, WorkspaceService, MAX_WS_TEMPLATE_PAGE,
};

/// Tunables; the defaults are WeChat's.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    pub token_policy: TokenPolicy,
    /// `/cgi-bin/token` calls per app per day (WeChat: 2000).
    pub token_requests_per_day: u32,
    /// `stable_token` calls with `force_refresh` per app per day (WeChat: 20).
    pub stable_refreshes_per_day: u32,
    /// Wrong secrets per app within `failure_window_secs` before its token
    /// requests are refused until the window ends.
    pub secret_failures_per_app: u32,
    /// Wrong appids or secrets per client IP within `failure_window_secs`.
    pub secret_failures_per_ip: u32,
    pub failure_window_secs: i64,
    /// How long a node trusts what it cached about a token or an app that
    /// another node may change. Must stay below the token overlap.
    pub cache_ttl: Duration,
    pub worker: WorkerConfig,
    pub webhooks: WebhookConfig,
    pub marketing_scan: MarketingScan,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            token_policy: TokenPolicy::default(),
            token_requests_per_day: 2000,
            stable_refreshes_per_day: 20,
            secret_failures_per_app: 20,
            secret_failures_per_ip: 60,
            failure_window_secs: 60,
            cache_ttl: Duration::from_secs(30),
            worker: WorkerConfig::default(),
            webhooks: WebhookConfig::default(),
            marketing_scan: MarketingScan::default(),
        }
    }
}

/// Every service, sharing one store, clock and caches.
#[derive(Clone)]
pub struct Services {
    pub apps: AppService,
    pub tokens: TokenService,
    pub library: LibraryService,
    pub templates: TemplateService,
    pub users: UserService,
    pub sends: SendService,
    pub inbox: InboxService,
    pub tags: TagService,
    pub imports: ImportService,
    pub segments: SegmentService,
    pub hub: InboxHub,
    pub worker: Worker,
    pub webhooks: WebhookService,
    pub dispatcher: Dispatcher,
    pub official: OfficialService,
    pub marketing: MarketingService,
    pub workspace: WorkspaceService,
    pub employees: EmployeeService,
    pub governance: GovernanceService,
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
}

impl Services {
    /// Builds the services; reads or creates the installation's token key.
    pub async fn build(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        config: ServiceConfig,
    ) -> StoreResult<Self> {
        let cache = cache::Caches::new(config.cache_ttl);
        let apps = AppService::new(store.clone(), clock.clone(), cache.clone());
        let cache_ttl = config.cache_ttl;
        let worker_config = config.worker.clone();
        let webhook_config = config.webhooks.clone();
        let marketing_scan = config.marketing_scan;
        let hub = InboxHub::default();
        let wake = Arc::new(tokio::sync::Notify::new());
        let tokens =
            TokenService::init(store.clone(), clock.clone(), cache, apps.clone(), config).await?;
        let library = LibraryService::init(store.clone()).await?;
        let templates =
            TemplateService::new(store.clone(), clock.clone(), library.clone(), cache_ttl);
        let users = UserService::new(store.clone(), clock.clone(), apps.clone());
        let sends = SendService::new(
            store.clone(),
            clock.clone(),
            apps.clone(),
            templates.clone(),
            hub.clone(),
            marketing_scan,
        );
        let inbox = InboxService::new(store.clone(), clock.clone());
        let tags = TagService::new(store.clone(), clock.clone(), apps.clone());
        let imports = ImportService::new(store.clone(), clock.clone(), apps.clone());
        let segments = SegmentService::new(
            store.clone(),
            clock.clone(),
            apps.clone(),
            templates.clone(),
            wake.clone(),
            marketing_scan,
        );
        let inline_limit = i64::from(worker_config.chunk_size);
        let lease_secs = worker_config.lease_secs;
        let worker = Worker::new(
            store.clone(),
            clock.clone(),
            hub.clone(),
            wake.clone(),
            worker_config,
        );
        let workspace = WorkspaceService::new(
            store.clone(),
            clock.clone(),
            worker.clone(),
            wake,
            inline_limit,
            lease_secs,
        );
        let webhooks = WebhookService::new(
            store.clone(),
            clock.clone(),
            apps.clone(),
            webhook_config.clone(),
        );
        let dispatcher = Dispatcher::new(store.clone(), clock.clone(), webhook_config);
        let official = OfficialService::new(store.clone(), templates.clone(), sends.clone());
        let marketing = MarketingService::new(
            store.clone(),
            clock.clone(),
            templates.clone(),
            segments.clone(),
        );
        let employees = EmployeeService::new(store.clone(), apps.clone());
        let governance = GovernanceService::new(
            store.clone(),
            clock.clone(),
            apps.clone(),
            templates.clone(),
        );
        Ok(Self {
            apps,
            tokens,
            library,
            templates,
            users,
            sends,
            inbox,
            tags,
            imports,
            segments,
            hub,
            worker,
            webhooks,
            dispatcher,
            official,
            marketing,
            workspace,
            employees,
            governance,
            store,
            clock,
        })
    }
}
