//! The network guard: Switchboard connects wherever a connection says, so it must not become a
//! door into the network it runs in. Before any connection is opened its host is resolved, every
//! address is checked against the policy (denied ranges first, then the allow list if one is set),
//! and the connection is then made to the checked address itself where the driver allows it, so a
//! DNS answer that changes between check and connect (rebinding) cannot slip through.
//!
//! Every address a driver will dial is checked, not only the first host: all hosts and `hostaddr`s
//! of a connection string, the sentinels, and — at dial time — the master a sentinel announces.
//! Drivers only accept [`Guarded`] settings, which only [`NetworkPolicy::approve`] builds, so no
//! path can open a connection the guard has not seen.
//!
//! By default link-local addresses (which hold the cloud metadata services), multicast, broadcast
//! and "this network" are denied; everything else is allowed.

use std::net::IpAddr;

use ipnet::IpNet;

use crate::domain::ConnectionSettings;
use crate::engines::EngineError;
use crate::error::ApiError;

/// Ranges denied whatever the configuration says.
pub const DEFAULT_DENY: &[&str] = &[
    "0.0.0.0/8",
    "169.254.0.0/16",
    "100.100.100.200/32",
    "224.0.0.0/4",
    "255.255.255.255/32",
    "fe80::/10",
    "fd00:ec2::254/128",
    "ff00::/8",
];

/// Settings the network guard approved: the only form in which settings reach a driver. It also
/// carries the policy, so an engine can check an address it discovers at dial time (the master a
/// sentinel announces) before dialing it.
#[derive(Clone, Debug)]
pub struct Guarded {
    settings: ConnectionSettings,
    policy: std::sync::Arc<NetworkPolicy>,
}

impl std::ops::Deref for Guarded {
    type Target = ConnectionSettings;

    fn deref(&self) -> &ConnectionSettings {
        &self.settings
    }
}

impl Guarded {
    /// Checks an address a driver found by itself; its first allowed address is returned to dial.
    pub async fn check_discovered(&self, what: &str, host: &str, port: u16) -> Result<IpAddr, EngineError> {
        let addresses = resolve(host, port).await.map_err(|e| EngineError::Connect(e.to_string()))?;
        for ip in &addresses {
            if let Some(why) = self.policy.refusal(*ip) {
                return Err(EngineError::Refused(format!(
                    "{what} {host}:{port} is not allowed by the network policy: {why}"
                )));
            }
        }
        addresses.first().copied().ok_or_else(|| EngineError::Connect(format!("{host} has no address")))
    }
}

/// Allowed and denied address ranges.
#[derive(Debug, Clone)]
pub struct NetworkPolicy {
    deny: Vec<IpNet>,
    allow: Vec<IpNet>,
}

fn parse_list(name: &str, list: &str) -> anyhow::Result<Vec<IpNet>> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| anyhow::anyhow!("{name}: `{s}` is not an address range like 10.0.0.0/8"))
        })
        .collect()
}

impl NetworkPolicy {
    /// The default denials plus `deny`; when `allow` is non-empty, only those ranges.
    pub fn new(deny: &str, allow: &str) -> anyhow::Result<Self> {
        let mut denied = parse_list("SWITCHBOARD_NETWORK_DENY", &DEFAULT_DENY.join(","))?;
        denied.extend(parse_list("SWITCHBOARD_NETWORK_DENY", deny)?);
        Ok(Self { deny: denied, allow: parse_list("SWITCHBOARD_NETWORK_ALLOW", allow)? })
    }

    /// Why `ip` may not be reached, or `None` when it may.
    pub fn refusal(&self, ip: IpAddr) -> Option<String> {
        // An IPv4 address written as IPv6 (::ffff:a.b.c.d) is judged as the IPv4 address.
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        if let Some(range) = self.deny.iter().find(|r| r.contains(&ip)) {
            return Some(format!("{ip} is in the denied range {range}"));
        }
        if !self.allow.is_empty() && !self.allow.iter().any(|r| r.contains(&ip)) {
            return Some(format!("{ip} is outside the allowed ranges"));
        }
        None
    }

    /// Resolves every host the settings will dial (see [`crate::engines::dial_targets`]), checks
    /// every address, and pins the first address of the main host so the driver connects to
    /// exactly what was checked.
    pub async fn approve(self: &std::sync::Arc<Self>, mut settings: ConnectionSettings) -> Result<Guarded, ApiError> {
        let targets = crate::engines::dial_targets(&settings).await.map_err(ApiError::from)?;
        let mut pinned = None;
        for target in &targets {
            let addresses = resolve(&target.host, target.port).await?;
            for ip in &addresses {
                if let Some(why) = self.refusal(*ip) {
                    return Err(ApiError::Forbidden(format!(
                        "connections to {} ({}) are not allowed by the network policy: {why}",
                        target.host, target.role
                    )));
                }
            }
            if target.role == DialRole::Host && target.host == settings.host && pinned.is_none() {
                pinned = addresses.first().copied();
            }
        }
        settings.pinned_addr = pinned;
        Ok(Guarded { settings, policy: self.clone() })
    }
}

/// What a dialed address is for, named in refusals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DialRole {
    /// A host of the connection.
    Host,
    /// A `hostaddr` of a PostgreSQL connection string.
    HostAddr,
    /// A Redis sentinel.
    Sentinel,
}

impl std::fmt::Display for DialRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DialRole::Host => "a host",
            DialRole::HostAddr => "a hostaddr",
            DialRole::Sentinel => "a sentinel",
        })
    }
}

/// One address a driver will dial.
#[derive(Clone, Debug)]
pub struct DialTarget {
    /// Host name or address.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// What it is.
    pub role: DialRole,
}

async fn resolve(host: &str, port: u16) -> Result<Vec<IpAddr>, ApiError> {
    if let Ok(ip) = host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
        return Ok(vec![ip]);
    }
    let found = tokio::time::timeout(std::time::Duration::from_secs(5), tokio::net::lookup_host((host, port)))
        .await
        .map_err(|_| ApiError::Connection(format!("resolving {host} timed out")))?
        .map_err(|e| ApiError::Connection(format!("cannot resolve {host}: {e}")))?;
    let addresses: Vec<IpAddr> = found.map(|a| a.ip()).collect();
    if addresses.is_empty() {
        return Err(ApiError::Connection(format!("{host} has no address")));
    }
    Ok(addresses)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_deny_metadata_and_allow_the_rest() {
        let p = NetworkPolicy::new("", "").unwrap();
        assert!(p.refusal("169.254.169.254".parse().unwrap()).is_some());
        assert!(p.refusal("::ffff:169.254.169.254".parse().unwrap()).is_some());
        assert!(p.refusal("fd00:ec2::254".parse().unwrap()).is_some());
        assert!(p.refusal("127.0.0.1".parse().unwrap()).is_none());
        assert!(p.refusal("10.1.2.3".parse().unwrap()).is_none());
    }

    #[test]
    fn allow_lists_and_extra_denials() {
        let p = NetworkPolicy::new("10.9.0.0/16", "10.0.0.0/8").unwrap();
        assert!(p.refusal("10.1.2.3".parse().unwrap()).is_none());
        assert!(p.refusal("10.9.1.1".parse().unwrap()).is_some());
        assert!(p.refusal("192.168.1.1".parse().unwrap()).is_some());
        assert!(NetworkPolicy::new("nonsense", "").is_err());
    }
}
