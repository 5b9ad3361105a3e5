//! Redis routes: `/api/platform/redis/{ref}/…`.

use axum::http::Method;
use axum::routing::{delete, get, patch, post, put};

use super::{route, Route};
use crate::api::{redis, redis_bulk, redis_command, redis_ops, ws};

/// Redis data routes (spec 8.1).
pub(super) fn routes() -> Vec<Route> {
    use redis::Target;
    let base = "/api/platform/redis/{ref}";
    let key = format!("{base}/keys/{{key}}");
    let (expire, pubsub) = (format!("{key}/expire"), format!("{base}/pubsub"));
    vec![
        route(Method::GET, format!("{base}/keys"), get(redis::list_keys))
            .query::<redis::ListKeysQuery>()
            .summary("List keys by SCAN")
            .describe("Any role. One SCAN page per call (`cursor` from the previous page), over every master of a cluster.")
            .ok::<crate::engines::redis::keys::KeyPage>(),
        route(Method::GET, &key, get(redis::get_key))
            .query::<redis::ReadKeyQuery>()
            .summary("Read a key: its type, TTL and value")
            .ok_schema(200, crate::engines::redis::keys::key_view_schema),
        route(Method::POST, &key, post(redis::create_key))
            .query::<Target>()
            .body::<redis::WriteKey>()
            .summary("Create a key")
            .describe("Developers and above. `nx`/`xx` make it conditional (409 when the condition fails).")
            .ok_schema(201, crate::engines::redis::keys::key_view_schema),
        route(Method::PUT, &key, put(redis::update_key))
            .query::<Target>()
            .body::<redis::WriteKey>()
            .summary("Replace a key's value and/or TTL")
            .describe("Developers and above. A missing key is a 404; a stream gets the entry appended.")
            .ok_schema(200, crate::engines::redis::keys::key_view_schema),
        route(Method::PATCH, &key, patch(redis::edit_key))
            .query::<Target>()
            .body::<redis::EditKey>()
            .summary("Add, remove or set elements of a collection key")
            .describe("Developers and above. When the edit removes the last element Redis deletes the key: the answer is then `{\"deleted\": true}`.")
            .ok_schema(200, redis::edited_schema),
        route(Method::DELETE, &key, delete(redis::delete_key))
            .query::<Target>()
            .summary("Delete a key")
            .describe("Developers and above.")
            .no_content(),
        route(Method::POST, expire, post(redis::expire_key))
            .query::<Target>()
            .body::<redis::ExpireBody>()
            .summary("Set or clear a key's TTL")
            .describe("Developers and above.")
            .ok::<redis::Expiry>(),
        route(Method::POST, format!("{key}/rename"), post(redis::rename_key))
            .query::<Target>()
            .body::<redis::RenameBody>()
            .summary("Rename a key")
            .describe("Developers and above; audited. 409 when the new name exists and `overwrite` is not set.")
            .ok_schema(200, crate::engines::redis::keys::key_view_schema),
        route(Method::POST, format!("{base}/bulk-delete"), post(redis_bulk::bulk_delete))
            .query::<Target>()
            .body::<redis_bulk::BulkDeleteBody>()
            .summary("Delete every key matching a pattern, after a dry run")
            .describe("Developers and above; audited (the job's end too, with its counts). `dry_run` counts the matching keys exactly (SCAN of every master) and answers 20 of them and a `confirm` token; the real run must carry that token (valid 10 minutes, for the same user, connection and pattern; else 400 and nothing changes) and runs as a job (SCAN + UNLINK in batches; progress counts deleted keys; cancel stops it between batches).")
            .ok_schema(200, redis_bulk::mass_change_schema),
        route(Method::POST, format!("{base}/bulk-expire"), post(redis_bulk::bulk_expire))
            .query::<Target>()
            .body::<redis_bulk::BulkExpireBody>()
            .summary("Set or clear the TTL of every key matching a pattern, after a dry run")
            .describe("Developers and above; audited. The same two steps as bulk-delete: `dry_run` answers the count, a sample and `confirm`; the real run (same pattern and ttl) is a job.")
            .ok_schema(200, redis_bulk::mass_change_schema),
        route(Method::GET, format!("{base}/export"), get(redis_bulk::export))
            .query::<redis_bulk::ExportQuery>()
            .summary("Export the keys matching a pattern (NDJSON)")
            .describe("Any role. One line per key (a big collection or string in several `part`s) with its type, TTL in ms and value; byte strings are text when UTF-8, else `{\"base64\": …}`. Streamed over every master of a cluster; not a snapshot: keys changed meanwhile may appear before or after the change. Module types and stream consumer groups are left out.")
            .media("application/x-ndjson", "one JSON object per line: `{key, type, ttl_ms, part, value}`"),
        route(Method::POST, format!("{base}/import"), post(redis_bulk::import))
            .query::<redis_bulk::ImportQuery>()
            .upload(&["application/x-ndjson"], "An export of `GET …/export` (one JSON object per line)")
            .summary("Import keys from an export (NDJSON)")
            .describe("Developers and above; audited with the counts. Streamed in pipelines; types, TTLs and binary values are kept. Lines that cannot be read or that the server refuses are reported (the first 100) and the rest goes on; `on_conflict=fail` stops at the first existing key with a 409 (keys of earlier batches stay written).")
            .ok::<crate::engines::redis::bulk::ImportReport>(),
        route(Method::POST, format!("{base}/command"), post(redis_command::run_command))
            .query::<Target>()
            .body::<redis_command::CommandBody>()
            .summary("Run one Redis command")
            .describe("Any role for read-only commands; writes need a developer, admin commands an admin (classed by the server's COMMAND INFO). Writes are audited (the command and key, never values).")
            .ok_any(200, "`{\"reply\": …}`: the command's reply as JSON (strings, integers, arrays, maps, null, as the command answers)"),
        route(Method::GET, format!("{base}/info"), get(redis::server_info))
            .query::<Target>()
            .summary("Server INFO, by section")
            .ok_any(200, "INFO as an object of sections, each an object of the fields the server reports (names and values vary with the Redis version)"),
        route(Method::GET, format!("{base}/stats"), get(redis::stats))
            .query::<redis::StatsQuery>()
            .summary("Live server statistics")
            .describe("One sample; with `Accept: text/event-stream`, a `sample` event every `interval` seconds until the client leaves.")
            .ok::<crate::engines::redis::info::StatsSample>()
            .also("text/event-stream", "with Accept: text/event-stream, Server-Sent Events `sample` (the same object) and `error`"),
        route(Method::GET, format!("{base}/slowlog"), get(redis_ops::slowlog))
            .query::<redis_ops::SlowlogQuery>()
            .summary("Read the slow log of every master")
            .ok::<Vec<crate::engines::redis::ops::SlowEntry>>(),
        route(Method::DELETE, format!("{base}/slowlog"), delete(redis_ops::reset_slowlog))
            .query::<Target>()
            .summary("Reset the slow log")
            .describe("Admins only; audited.")
            .no_content(),
        route(Method::GET, format!("{base}/clients"), get(redis_ops::clients))
            .query::<Target>()
            .summary("List connected clients (CLIENT LIST)")
            .ok::<Vec<crate::engines::redis::ops::ClientEntry>>(),
        route(Method::DELETE, format!("{base}/clients/{{id}}"), delete(redis_ops::kill_client))
            .query::<Target>()
            .summary("Disconnect a client (CLIENT KILL)")
            .describe("Admins only; audited.")
            .no_content(),
        route(Method::GET, format!("{base}/memory"), get(redis_ops::memory))
            .query::<Target>()
            .summary("Memory statistics and advice of every master")
            .ok_any(200, "One object per master: its address, MEMORY STATS as the server reports it (fields vary with the version) and MEMORY DOCTOR's text"),
        route(Method::POST, format!("{base}/analysis"), post(redis_ops::analysis))
            .query::<Target>()
            .body::<redis_ops::AnalysisBody>()
            .summary("Start a keyspace analysis job")
            .describe("Any role. A rate-bounded SCAN of every master in the background; follow it at `…/jobs/{id}` or its events.")
            .accepted::<crate::api::jobs::Started>(),
        route(Method::GET, format!("{pubsub}/channels"), get(redis::pubsub_channels))
            .query::<redis::ChannelsQuery>()
            .summary("List active Pub/Sub channels")
            .describe("The number of pattern subscriptions is in the `x-pubsub-pattern-subscriptions` header.")
            .ok::<Vec<crate::engines::redis::pubsub::ChannelInfo>>(),
        route(Method::POST, format!("{pubsub}/publish"), post(redis::publish))
            .query::<Target>()
            .body::<redis::PublishBody>()
            .summary("Publish a message")
            .describe("Developers and above.")
            .ok::<redis::Published>(),
        route(Method::GET, format!("{pubsub}/subscribe"), get(ws::subscribe))
            .query::<ws::SubscribeQuery>()
            .summary("Subscribe to channels (WebSocket)")
            .describe("Any role. After the upgrade, send `{\"type\": \"subscribe\", \"channels\": [...]}` (or unsubscribe, psubscribe, punsubscribe); messages arrive as JSON text frames.")
            .websocket(),
    ]
}
