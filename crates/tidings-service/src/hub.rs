//! Tells live inbox streams of this node that a user has new messages, right
//! after the commit that stored them.

use tidings_engine::{AppId, OpenId};
use tokio::sync::broadcast;

/// A user whose inbox changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxChanged {
    pub appid: AppId,
    pub openid: OpenId,
}

#[derive(Clone)]
pub struct InboxHub {
    tx: broadcast::Sender<InboxChanged>,
}

impl Default for InboxHub {
    fn default() -> Self {
        Self {
            tx: broadcast::channel(4096).0,
        }
    }
}

impl InboxHub {
    pub fn notify(&self, appid: &AppId, openid: &OpenId) {
        // No stream listening is fine, and then there is nothing to make. A
        // stream that subscribes right after this reads its starting point
        // after the commit, so it misses nothing.
        if self.tx.receiver_count() == 0 {
            return;
        }
        let _ = self.tx.send(InboxChanged {
            appid: appid.clone(),
            openid: openid.clone(),
        });
    }

    pub fn subscribe(&self) -> broadcast::Receiver<InboxChanged> {
        self.tx.subscribe()
    }
}
