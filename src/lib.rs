//! Switchboard: one server and one API for the PostgreSQL, Redis and MongoDB databases of a team's
//! projects. See `docs/ARCHITECTURE.md` for the map of this crate.

pub mod api;
pub mod app;
pub mod auth;
pub mod cluster;
pub mod concurrency;
pub mod config;
pub mod connection_health;
pub mod connections;
pub mod crypto;
pub mod domain;
pub mod engines;
pub mod error;
pub mod jobs;
pub mod keys;
pub mod middleware;
pub mod network;
pub mod openapi;
pub mod ratelimit;
pub mod router;
pub mod server;
pub mod store;
pub mod telemetry;
pub mod web;
