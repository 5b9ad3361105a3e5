//! CPU time per request: user + system time, read from /proc before and after a measured run, for
//! the server under test (Switchboard or a peer, with its child processes), the backend (with its
//! child processes: PostgreSQL's backends) and the load generator (the benchmark process itself:
//! its own threads for the in-process driver loops, and the reaped wrk, redis-benchmark or pgbench
//! runs). Unlike throughput, this figure holds on a machine shared with other work.

use std::collections::HashMap;
use std::time::Instant;

/// Linux counts CPU time in ticks of 1/100 s (USER_HZ) on every mainstream architecture.
const TICK_US: f64 = 10_000.0;

/// CPU microseconds per request of the three parties of a run.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct CpuPerRequest {
    /// Switchboard or the peer, when the run goes through one.
    pub server_us: Option<f64>,
    /// The database server.
    pub backend_us: Option<f64>,
    /// The client driving the load.
    pub load_us: f64,
}

/// Every process: its parent and its CPU ticks, own and of the children it has reaped.
fn processes() -> HashMap<u32, (u32, u64)> {
    let mut out = HashMap::new();
    let Ok(entries) = std::fs::read_dir("/proc") else { return out };
    for entry in entries.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
        if let Some(stat) = stat(pid) {
            out.insert(pid, stat);
        }
    }
    out
}

/// A process's parent and ticks (utime + stime + cutime + cstime).
fn stat(pid: u32) -> Option<(u32, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name in parentheses may hold spaces; the fields after it start at the state.
    let fields: Vec<&str> = text[text.rfind(')')? + 1..].split_whitespace().collect();
    let number = |i: usize| fields.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    Some((number(1) as u32, number(11) + number(12) + number(13) + number(14)))
}

/// Ticks of `root` and of every process below it.
fn tree_ticks(all: &HashMap<u32, (u32, u64)>, root: u32) -> u64 {
    let (mut total, mut stack) = (0, vec![root]);
    while let Some(pid) = stack.pop() {
        total += all.get(&pid).map_or(0, |(_, ticks)| *ticks);
        stack.extend(all.iter().filter(|(_, (parent, _))| *parent == pid).map(|(child, _)| *child));
    }
    total
}

/// The CPU counters at the start of a run.
pub struct CpuWatch {
    server: Option<(u32, u64)>,
    backend: Option<(u32, u64)>,
    load: u64,
    started: Instant,
}

impl CpuWatch {
    /// Starts watching `server` and `backend` (process ids; a tree each) and this process.
    pub fn start(server: Option<u32>, backend: Option<u32>) -> Self {
        let all = processes();
        Self {
            server: server.map(|pid| (pid, tree_ticks(&all, pid))),
            backend: backend.map(|pid| (pid, tree_ticks(&all, pid))),
            load: own_ticks(),
            started: Instant::now(),
        }
    }

    /// CPU per request since the start, the run having served `requests_per_sec` on average.
    pub fn per_request(self, requests_per_sec: f64) -> CpuPerRequest {
        let requests = requests_per_sec * self.started.elapsed().as_secs_f64();
        let all = processes();
        let per = |ticks: u64| ticks as f64 * TICK_US / requests;
        CpuPerRequest {
            server_us: self.server.map(|(pid, before)| per(tree_ticks(&all, pid).saturating_sub(before))),
            backend_us: self.backend.map(|(pid, before)| per(tree_ticks(&all, pid).saturating_sub(before))),
            load_us: per(own_ticks().saturating_sub(self.load)),
        }
    }
}

/// This process's ticks: its threads and the load tools it ran and reaped (not the servers it
/// started, which are still running).
fn own_ticks() -> u64 {
    stat(std::process::id()).map_or(0, |(_, ticks)| ticks)
}
