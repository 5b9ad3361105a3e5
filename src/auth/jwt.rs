//! HS256 access tokens. Only the configured algorithm is accepted: `alg: none`, other algorithms, bad
//! signatures, wrong issuers and expired tokens are all rejected by `jsonwebtoken`'s validation.

use std::time::Duration;

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::domain::UserId;

const ISSUER: &str = "switchboard";

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

/// Signing and verification keys plus the token lifetime.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
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
        validation.leeway = 5;
        Self { encoding: EncodingKey::from_secret(bytes), decoding: DecodingKey::from_secret(bytes), validation, ttl }
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

    /// Verifies a token and returns the user it names.
    pub fn verify(&self, token: &str) -> Result<UserId, TokenError> {
        let data = decode::<Claims>(token, &self.decoding, &self.validation).map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
            _ => TokenError::Invalid,
        })?;
        data.claims.sub.parse().map_err(|_| TokenError::Invalid)
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
}
