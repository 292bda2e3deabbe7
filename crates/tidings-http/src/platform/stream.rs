//! `GET /api/v1/apps/{appid}/users/{openid}/messages/stream`: the live inbox
//! as Server-Sent Events. Each message is an event whose id is the message
//! id; `Last-Event-ID` (or `?last_event_id=`) resumes after it with no gap.
//! `?platform=IOS` streams the workspace cards of one message box.
//! New messages committed on this node arrive at once; those committed by
//! another node within the poll interval. Comments every 15 s keep proxies
//! from closing an idle stream.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, Query};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use tidings_engine::{AppId, OpenId, Platform};
use tidings_service::{InboxChanged, Services};
use tokio::sync::broadcast;

use super::auth::Admin;
use super::error::ApiError;
use super::users::{ids, MessageView};
use crate::{AppState, State};

/// How often a stream looks for messages committed by other nodes.
const POLL: Duration = Duration::from_secs(1);

struct Cursor {
    services: Services,
    appid: AppId,
    openid: OpenId,
    platform: Option<Platform>,
    last: i64,
    ready: VecDeque<Event>,
    changes: broadcast::Receiver<InboxChanged>,
    shutdown: tokio::sync::watch::Receiver<bool>,
}

impl Cursor {
    async fn next_event(&mut self) -> Option<Event> {
        loop {
            if *self.shutdown.borrow() {
                return None;
            }
            if let Some(e) = self.ready.pop_front() {
                return Some(e);
            }
            match self
                .services
                .store
                .messages_after(&self.appid, &self.openid, self.platform, self.last, 100)
                .await
            {
                Ok(messages) if !messages.is_empty() => {
                    for m in messages {
                        self.last = m.id;
                        let id = m.id.to_string();
                        let data = serde_json::to_string(&MessageView::from(m)).unwrap_or_default();
                        self.ready
                            .push_back(Event::default().id(id).event("message").data(data));
                    }
                    continue;
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "inbox stream read failed"),
            }
            self.wait().await;
        }
    }

    /// Until this user's inbox changes on this node, or the poll interval.
    async fn wait(&mut self) {
        let deadline = tokio::time::sleep(POLL);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                _ = &mut deadline => return,
                _ = self.shutdown.changed() => return,
                change = self.changes.recv() => match change {
                    Ok(c) if c.appid == self.appid && c.openid == self.openid => return,
                    Ok(_) => {}
                    Err(broadcast::error::RecvError::Lagged(_)) => return,
                    Err(broadcast::error::RecvError::Closed) => return,
                },
            }
        }
    }
}

pub async fn stream(
    axum::extract::State(state): State,
    _: Admin,
    Path((appid, openid)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let (appid, openid) = ids(&appid, &openid)?;
    live(&state, appid, openid, &query, &headers).await
}

/// One user's live inbox: for the platform API and the recipient's own.
pub(crate) async fn live(
    state: &AppState,
    appid: AppId,
    openid: OpenId,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let services = state.services.clone();
    services.users.get(&appid, &openid).await?;
    // Subscribe before reading the starting point, so nothing falls between.
    let changes = services.hub.subscribe();
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .or(query.get("last_event_id").map(String::as_str))
        .map(|v| {
            v.trim()
                .parse::<i64>()
                .map_err(|_| ApiError::invalid("Last-Event-ID must be a message id"))
        })
        .transpose()?;
    let last = match resume {
        Some(id) => id,
        None => services
            .store
            .list_messages(&appid, &openid, None, None, 1)
            .await
            .map_err(tidings_service::ServiceError::from)?
            .first()
            .map_or(0, |m| m.id),
    };
    let platform = query
        .get("platform")
        .map(|p| Platform::parse(p).map_err(|e| ApiError::invalid(e.to_string())))
        .transpose()?;
    let cursor = Cursor {
        services,
        appid,
        openid,
        platform,
        last,
        ready: VecDeque::new(),
        changes,
        shutdown: state.shutdown.clone(),
    };
    let events = futures_util::stream::unfold(cursor, |mut c| async move {
        let e = c.next_event().await?;
        Some((Ok(e), c))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
