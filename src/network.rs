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
        match self.policy.vet(what, host, port).await {
            Ok(addresses) => {
                addresses.first().copied().ok_or_else(|| EngineError::Connect(format!("{host} has no address")))
            }
            Err(Vetted::Refused(why)) => Err(EngineError::Refused(why)),
            Err(Vetted::Unresolved(e)) => Err(EngineError::Connect(e.to_string())),
        }
    }
}

/// Why an address may not be dialed.
enum Vetted {
    /// The policy refuses it (the message says which address and why).
    Refused(String),
    /// The name does not resolve.
    Unresolved(ApiError),
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

    /// Resolves `host` and checks every address it has: all of them, since a driver may dial any.
    async fn vet(&self, what: &str, host: &str, port: u16) -> Result<Vec<IpAddr>, Vetted> {
        let addresses = resolve(host, port).await.map_err(Vetted::Unresolved)?;
        match addresses.iter().find_map(|ip| self.refusal(*ip)) {
            Some(why) => {
                Err(Vetted::Refused(format!("{what} {host}:{port} is not allowed by the network policy: {why}")))
            }
            None => Ok(addresses),
        }
    }

    /// Resolves every host the settings will dial (see [`crate::engines::dial_targets`]), checks
    /// every address, and pins the first address of the main host so the driver connects to
    /// exactly what was checked.
    pub async fn approve(self: &std::sync::Arc<Self>, mut settings: ConnectionSettings) -> Result<Guarded, ApiError> {
        let targets = crate::engines::dial_targets(&settings).await.map_err(ApiError::from)?;
        let mut pinned = None;
        for target in &targets {
            let addresses =
                self.vet(&target.role.to_string(), &target.host, target.port).await.map_err(|e| match e {
                    Vetted::Refused(why) => ApiError::Forbidden(why),
                    Vetted::Unresolved(e) => e,
                })?;
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
            DialRole::Host => "the host",
            DialRole::HostAddr => "the hostaddr",
            DialRole::Sentinel => "the sentinel",
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
