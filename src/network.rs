//! The network guard: Switchboard connects wherever a connection says, so it must not become a
//! door into the network it runs in. Before any connection is opened its host is resolved, every
//! address is checked against the policy (denied ranges first, then the allow list if one is set),
//! and the connection is then made to the checked address itself where the driver allows it, so a
//! DNS answer that changes between check and connect (rebinding) cannot slip through.
//!
//! By default link-local addresses (which hold the cloud metadata services), multicast, broadcast
//! and "this network" are denied; everything else is allowed.

use std::net::IpAddr;

use ipnet::IpNet;

use crate::domain::ConnectionSettings;
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

    /// Resolves the settings' host, checks every address, and pins the first one so the driver
    /// connects to exactly what was checked. Sentinel addresses are checked too.
    pub async fn check(&self, settings: &mut ConnectionSettings) -> Result<(), ApiError> {
        let addresses = resolve(&settings.host, settings.port).await?;
        for ip in &addresses {
            if let Some(why) = self.refusal(*ip) {
                return Err(ApiError::Forbidden(format!(
                    "connections to {} are not allowed by the network policy: {why}",
                    settings.host
                )));
            }
        }
        if let crate::domain::EngineOptions::Redis(o) = &settings.options {
            for s in o.sentinel.iter().flat_map(|s| s.sentinels.iter()) {
                let port = u16::try_from(s.port).unwrap_or(0);
                for ip in resolve(&s.host, port).await? {
                    if let Some(why) = self.refusal(ip) {
                        return Err(ApiError::Forbidden(format!(
                            "the sentinel {} is not allowed by the network policy: {why}",
                            s.host
                        )));
                    }
                }
            }
        }
        settings.pinned_addr = addresses.first().copied();
        Ok(())
    }
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
