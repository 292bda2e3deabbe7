//! Finding the message of a followed tracking link. A token made by this
//! version names its message's id and carries the message's link secret
//! (`tidings_engine::message::link_token`): the message is read by its id
//! and the token it makes is compared with the followed one. Tokens of
//! earlier versions are kept whole on their messages, in an index of their
//! own, and found by that.

use tidings_engine::message::{link_message_id, same_link_token};
use tidings_engine::Message;

/// Where a backend looks for a followed token's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKey<'a> {
    /// The message with this id, whose own token must then be the one
    /// followed ([`followed`]).
    Id(i64),
    /// The message keeping this whole token (an earlier version's).
    Token(&'a str),
}

/// Where to look for `token`'s message.
pub fn link_key(token: &str) -> LinkKey<'_> {
    match link_message_id(token) {
        Some(id) => LinkKey::Id(id),
        None => LinkKey::Token(token),
    }
}

/// The message found for `token`, if its tracking token is `token`: a
/// guessed id with a wrong secret finds nothing.
pub fn followed(found: Option<Message>, token: &str) -> Option<Message> {
    found.filter(|m| {
        m.link_token
            .as_deref()
            .is_some_and(|kept| same_link_token(kept, token))
    })
}
