//! HS256 access tokens. Only the configured algorithm is accepted: `alg: none`, other algorithms, bad
//! signatures, wrong issuers and expired tokens are all rejected by `jsonwebtoken`'s validation.
//!
//! A token that verified is remembered (by its whole text, with its expiry) for a few minutes, so a
//! busy client's requests do not each pay for base64, two JSON parses and an HMAC: under load that
//! was 7 % of the server's CPU on a Redis read.

use std::time::Duration;

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use moka::sync::Cache;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::domain::UserId;

const ISSUER: &str = "switchboard";
/// The issuer of dry-run confirmations: never accepted as an access token, and the reverse.
const CONFIRM_ISSUER: &str = "switchboard-confirm";
/// How long a dry run's confirmation stays valid.
pub const CONFIRM_TTL: Duration = Duration::from_secs(600);
/// Seconds of clock skew tolerated on `exp`.
const LEEWAY_SECS: u64 = 5;

/// Claims carried by an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    /// Issued at, seconds since the epoch.
    pub iat: u64,
    /// Expiry, seconds since the epoch.
    pub exp: u64,
    /// Always `switchboard`.
    pub iss: String,
}

/// Claims of a dry run's confirmation: who saw it, on which connection, for which change.
#[derive(Debug, Serialize, Deserialize)]
struct ConfirmClaims {
    sub: String,
    exp: u64,
    iss: String,
    /// The connection.
    conn: String,
    /// SHA-256 of the change's description (pattern, filter…), so the token does not carry it.
    op: String,
}

/// Signing and verification keys plus the token lifetime.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    confirm_validation: Validation,
    ttl: Duration,
    /// Tokens that verified: the user they name, their expiry and their issue time.
    verified: Cache<String, (UserId, u64, u64)>,
}

/// Why a token was refused. The message is safe to send to the client.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// Expired.
    #[error("token expired")]
    Expired,
    /// Anything else: malformed, wrong algorithm, bad signature, wrong issuer.
    #[error("invalid token")]
    Invalid,
}

fn now_secs() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

impl JwtKeys {
    /// Keys for `secret`, issuing tokens valid for `ttl`.
    pub fn new(secret: &SecretString, ttl: Duration) -> Self {
        let bytes = secret.expose_secret().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "sub", "iss"]);
        validation.leeway = LEEWAY_SECS;
        let mut confirm_validation = Validation::new(Algorithm::HS256);
        confirm_validation.set_issuer(&[CONFIRM_ISSUER]);
        confirm_validation.set_required_spec_claims(&["exp", "sub", "iss"]);
        confirm_validation.leeway = 0;
        let verified = Cache::builder().max_capacity(10_000).time_to_idle(Duration::from_secs(300)).build();
        Self {
            encoding: EncodingKey::from_secret(bytes),
            decoding: DecodingKey::from_secret(bytes),
            validation,
            confirm_validation,
            ttl,
            verified,
        }
    }

    /// Token lifetime.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Issues a token for `user`.
    pub fn issue(&self, user: UserId) -> Result<String, jsonwebtoken::errors::Error> {
        let iat = now_secs();
        let claims = Claims { sub: user.to_string(), iat, exp: iat + self.ttl.as_secs(), iss: ISSUER.into() };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
    }

    /// A dry run's confirmation: lets `user` run the change described by `what` on `connection`
    /// within [`CONFIRM_TTL`]. Stateless, so any replica accepts it.
    pub fn issue_confirmation(
        &self,
        user: UserId,
        connection: &str,
        what: &str,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let claims = ConfirmClaims {
            sub: user.to_string(),
            exp: now_secs() + CONFIRM_TTL.as_secs(),
            iss: CONFIRM_ISSUER.into(),
            conn: connection.to_string(),
            op: hex::encode(Sha256::digest(what.as_bytes())),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
    }

    /// True when `token` is a live confirmation for exactly this user, connection and change.
    pub fn check_confirmation(&self, token: &str, user: UserId, connection: &str, what: &str) -> bool {
        decode::<ConfirmClaims>(token, &self.decoding, &self.confirm_validation).is_ok_and(|data| {
            let c = data.claims;
            c.sub == user.to_string() && c.conn == connection && c.op == hex::encode(Sha256::digest(what.as_bytes()))
        })
    }

    /// Verifies a token and returns the user it names.
    pub fn verify(&self, token: &str) -> Result<UserId, TokenError> {
        self.verify_issued(token).map(|(user, _)| user)
    }

    /// Verifies a token and returns the user it names and when it was issued (unix seconds).
    pub fn verify_issued(&self, token: &str) -> Result<(UserId, u64), TokenError> {
        if let Some((user, exp, iat)) = self.verified.get(token) {
            // The same check `jsonwebtoken` makes: refused once `exp` is more than the leeway past.
            return if exp + LEEWAY_SECS < now_secs() { Err(TokenError::Expired) } else { Ok((user, iat)) };
        }
        let data = decode::<Claims>(token, &self.decoding, &self.validation).map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
            _ => TokenError::Invalid,
        })?;
        let user = data.claims.sub.parse().map_err(|_| TokenError::Invalid)?;
        self.verified.insert(token.to_string(), (user, data.claims.exp, data.claims.iat));
        Ok((user, data.claims.iat))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
    use base64::Engine as _;

    fn keys() -> JwtKeys {
        JwtKeys::new(&SecretString::from("x".repeat(40)), Duration::from_secs(60))
    }

    #[test]
    fn issued_tokens_verify() {
        let k = keys();
        let user = UserId::new();
        assert_eq!(k.verify(&k.issue(user).unwrap()).unwrap(), user);
    }

    #[test]
    fn alg_none_and_other_secrets_are_rejected() {
        let k = keys();
        let user = UserId::new();
        let header = B64.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let body = B64.encode(format!(r#"{{"sub":"{user}","exp":{},"iss":"switchboard"}}"#, now_secs() + 60));
        assert!(k.verify(&format!("{header}.{body}.")).is_err());
        let other = JwtKeys::new(&SecretString::from("y".repeat(40)), Duration::from_secs(60));
        assert!(k.verify(&other.issue(user).unwrap()).is_err());
    }

    #[test]
    fn a_remembered_token_still_expires() {
        let k = keys();
        let user = UserId::new();
        let token = k.issue(user).unwrap();
        assert_eq!(k.verify(&token).unwrap(), user);
        let (remembered, exp, _) = k.verified.get(&token).unwrap();
        assert_eq!(remembered, user);
        assert!(exp > now_secs() + 50);
        // The same token seen as if its expiry had passed while it was remembered.
        k.verified.insert(token.clone(), (user, now_secs() - LEEWAY_SECS - 1, now_secs()));
        assert!(matches!(k.verify(&token), Err(TokenError::Expired)));
        // A token differing from a remembered one in its signature is verified afresh, and refused.
        let mut forged = token.clone();
        forged.push('x');
        assert!(k.verify(&forged).is_err());
    }

    #[test]
    fn confirmations_bind_user_connection_and_change_and_are_not_access_tokens() {
        let keys = keys();
        let (alice, bob) = (UserId::new(), UserId::new());
        let token = keys.issue_confirmation(alice, "c1", "delete user:*").unwrap();
        assert!(keys.check_confirmation(&token, alice, "c1", "delete user:*"));
        assert!(!keys.check_confirmation(&token, bob, "c1", "delete user:*"));
        assert!(!keys.check_confirmation(&token, alice, "c2", "delete user:*"));
        assert!(!keys.check_confirmation(&token, alice, "c1", "delete *"));
        assert!(keys.verify(&token).is_err(), "a confirmation is not an access token");
        let access = keys.issue(alice).unwrap();
        assert!(!keys.check_confirmation(&access, alice, "c1", "delete user:*"));
    }
}
