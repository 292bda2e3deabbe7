//! The delivery worker: claims queued segment sends and delivers them in
//! keyset-paged chunks. Each chunk's messages, counts and the job's cursor
//! commit in one transaction, so a crash resumes at the cursor with no
//! recipient twice and none skipped (a unique index on (send, openid) holds
//! even against two workers).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use rand::RngCore;
use tidings_engine::employee::landing_platforms;
use tidings_engine::message::new_link_secret;
use tidings_engine::segment::SendRenderer;
use tidings_engine::{Clock, SendRecord};
use tidings_store::{Chunk, ChunkMessage, ChunkOutcome, Store, Turn};
use tokio::sync::{watch, Notify};

use crate::hub::InboxHub;

/// Tunables of the worker.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Recipients per chunk (and per transaction).
    pub chunk_size: u32,
    /// How long a claim holds without a commit before another worker may
    /// take the send over.
    pub lease_secs: i64,
    /// How often an idle worker looks for work that another node queued.
    pub poll: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            chunk_size: 5000,
            lease_secs: 10,
            poll: Duration::from_millis(500),
        }
    }
}

/// Chunks of one send committing at once, after the first: while one
/// waits for the store's lock on the send, the next one's rows go in.
const IN_FLIGHT: usize = 2;

/// A chunk being committed, given back with its outcome.
type Pending = tokio::task::JoinHandle<(Chunk, Result<ChunkOutcome, tidings_store::StoreError>)>;

#[derive(Clone)]
pub struct Worker {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    hub: InboxHub,
    wake: Arc<Notify>,
    config: WorkerConfig,
}

pub(crate) fn claim_token() -> String {
    let mut b = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}

impl Worker {
    pub(crate) fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        hub: InboxHub,
        wake: Arc<Notify>,
        config: WorkerConfig,
    ) -> Self {
        Self {
            store,
            clock,
            hub,
            wake,
            config,
        }
    }

    /// Runs until `stop` turns true.
    pub async fn run(self, stop: watch::Receiver<bool>) {
        let (wake, poll) = (self.wake.clone(), self.config.poll);
        crate::rounds::run_rounds("delivery worker", stop, poll, Some(wake), || {
            self.run_once()
        })
        .await
    }

    /// Claims one send and works on it until it is done or lost; false when
    /// there was nothing to claim.
    pub async fn run_once(&self) -> Result<bool, tidings_store::StoreError> {
        let now = self.clock.now();
        let claim = claim_token();
        let Some(send) = self
            .store
            .claim_send(now, now.plus_secs(self.config.lease_secs), &claim)
            .await?
        else {
            return Ok(false);
        };
        tracing::info!(send_id = send.id, cursor = ?send.cursor, "delivering segment send");
        self.deliver(send).await?;
        Ok(true)
    }

    /// Delivers a send this node holds the claim of, chunk by chunk.
    pub(crate) async fn deliver(&self, send: SendRecord) -> Result<(), tidings_store::StoreError> {
        let Some(audience) = send.spec.audience.clone() else {
            return Ok(());
        };
        let template = match send.spec.workspace {
            Some(_) => None,
            None => self.store.get_template(&send.template_id).await?,
        };
        let renderer = template.as_ref().map(|t| SendRenderer::new(t, &send.spec));
        let size = self.config.chunk_size;
        // A page of recipients, read and made into messages.
        let prepare = |cursor: Option<String>| {
            let (send, audience, renderer) = (&send, &audience, &renderer);
            async move {
                let users = self
                    .store
                    .audience_page(&send.appid, audience, cursor.as_deref(), size)
                    .await?;
                let done = (users.len() as u32) < size;
                let messages: Vec<ChunkMessage> = users
                    .iter()
                    .map(|u| match &send.spec.workspace {
                        Some(push) => workspace_message(push, u),
                        None => mini_message(renderer.as_ref(), &send.spec, u),
                    })
                    .collect();
                let cursor = users
                    .last()
                    .map(|u| u.openid.as_str().to_owned())
                    .or(cursor);
                Ok::<_, tidings_store::StoreError>((messages, cursor, done))
            }
        };
        let mut next = prepare(send.cursor.clone()).await?;
        let mut from = send.cursor.clone();
        let mut pending: VecDeque<Pending> = VecDeque::new();
        // How many chunks may still be committing when the next one starts:
        // none after the claim's first, which may set what later chunks are
        // stored against (the send's frame).
        let mut keep = 0;
        let mut turn: Turn = Box::pin(std::future::ready(()));
        loop {
            let (messages, cursor, done) = next;
            let now = self.clock.now();
            let chunk = Chunk {
                send: send.clone(),
                messages,
                from: std::mem::replace(&mut from, cursor.clone()),
                cursor: cursor.clone(),
                done,
                now,
                lease_until: now.plus_secs(self.config.lease_secs),
            };
            // This chunk's end is the next one's turn.
            let (finished, next_turn) = tokio::sync::oneshot::channel::<()>();
            let this_turn = std::mem::replace(
                &mut turn,
                Box::pin(async move {
                    let _ = next_turn.await;
                }),
            );
            let store = self.store.clone();
            pending.push_back(tokio::spawn(async move {
                let outcome = store.commit_chunk(&chunk, this_turn).await;
                let _ = finished.send(());
                (chunk, outcome)
            }));
            if done {
                if self.settle(&send, &mut pending, 0).await? {
                    tracing::info!(send_id = send.id, "segment send finished");
                }
                return Ok(());
            }
            // The next page is read and rendered while chunks commit: a
            // reader, the workers and the store work side by side.
            let (go_on, following) =
                tokio::join!(self.settle(&send, &mut pending, keep), prepare(cursor));
            if !go_on? {
                return Ok(());
            }
            keep = IN_FLIGHT - 1;
            next = following?;
        }
    }

    /// Handles the oldest commits until at most `keep` are pending; false
    /// when the send is to be left (cancelled, or another worker holds it
    /// now), once the chunks still committing have finished: none of them
    /// lands after the one that stopped the send, as each commits only onto
    /// its predecessor's cursor.
    async fn settle(
        &self,
        send: &SendRecord,
        pending: &mut VecDeque<Pending>,
        keep: usize,
    ) -> Result<bool, tidings_store::StoreError> {
        while pending.len() > keep {
            let commit = pending.pop_front().expect("a pending commit");
            if !self.settled(send, commit).await? {
                for rest in pending.drain(..) {
                    let _ = rest.await;
                }
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Handles one chunk's commit; false when the send is to be left
    /// (cancelled, or another worker holds it now).
    async fn settled(
        &self,
        send: &SendRecord,
        commit: Pending,
    ) -> Result<bool, tidings_store::StoreError> {
        let (chunk, outcome) = commit
            .await
            .map_err(|e| tidings_store::StoreError::Backend(format!("chunk commit task: {e}")))?;
        match outcome? {
            ChunkOutcome::Committed { oks, fails } => {
                metrics::counter!("tidings_segment_messages_total", "result" => "delivered")
                    .increment(oks as u64);
                metrics::counter!("tidings_segment_messages_total", "result" => "failed")
                    .increment(fails as u64);
                for m in chunk.messages.iter().filter(|m| m.failed_reason.is_none()) {
                    self.hub.notify(&send.appid, &m.openid);
                }
                Ok(true)
            }
            ChunkOutcome::Cancelled => {
                tracing::info!(send_id = send.id, "segment send cancelled");
                Ok(false)
            }
            ChunkOutcome::LeaseLost => {
                tracing::warn!(send_id = send.id, "lease lost to another worker");
                Ok(false)
            }
        }
    }
}

/// A recipient's message of a template send.
fn mini_message(
    renderer: Option<&SendRenderer<'_>>,
    spec: &tidings_engine::SendSpec,
    u: &tidings_engine::User,
) -> ChunkMessage {
    let rendered = match renderer {
        Some(r) => r
            .for_user(u)
            .map_err(|e| format!("data does not fit this recipient: {e}")),
        None => Err("the template was deleted".to_owned()),
    };
    match rendered {
        Ok(r) => ChunkMessage {
            openid: u.openid.clone(),
            rows: r.rows,
            emphasis: r.emphasis,
            link_secret: (spec.page.is_some() || spec.url.is_some()).then(new_link_secret),
            failed_reason: None,
            platforms: Vec::new(),
        },
        Err(reason) => failed(u, reason),
    }
}

/// An employee's card of a workspace push: it lands on the targeted
/// platforms the employee has a device on, or fails when there is none.
fn workspace_message(
    push: &tidings_engine::WorkspacePush,
    u: &tidings_engine::User,
) -> ChunkMessage {
    let platforms = landing_platforms(u, &push.platforms);
    if platforms.is_empty() {
        let names: Vec<&str> = push.platforms.iter().map(|p| p.as_str()).collect();
        return failed(u, format!("no device on {}", names.join(", ")));
    }
    let has_actions = push.card["actions"]
        .as_array()
        .is_some_and(|a| !a.is_empty());
    ChunkMessage {
        openid: u.openid.clone(),
        rows: Vec::new(),
        emphasis: None,
        link_secret: has_actions.then(new_link_secret),
        failed_reason: None,
        platforms,
    }
}

fn failed(u: &tidings_engine::User, reason: String) -> ChunkMessage {
    ChunkMessage {
        openid: u.openid.clone(),
        rows: Vec::new(),
        emphasis: None,
        link_secret: None,
        failed_reason: Some(reason),
        platforms: Vec::new(),
    }
}
