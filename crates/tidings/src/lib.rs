//! The Tidings binary's library: configuration, store selection, the server
//! and the command line. Integration tests start the server through it.

pub mod cli;
mod cli_jobs;
pub mod config;
pub mod logging;
pub mod server;
pub mod store;
