//! Secrets at rest (spec 11.1): AES-256-GCM with a fresh random 96-bit nonce per value.
//!
//! A sealed value is `base64(nonce || ciphertext+tag)`; the id of the key that sealed it is stored
//! beside it, so keys can rotate. Associated data binds each ciphertext to its row and field, so a
//! ciphertext copied into another row or column fails to open instead of decrypting to the wrong secret.

use std::collections::HashMap;
use std::fmt;

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

const NONCE_LEN: usize = 12;

/// Why a secret could not be sealed or opened.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// The key material is not 64 hex characters.
    #[error("encryption key must be 64 hexadecimal characters (32 bytes)")]
    BadKey,
    /// The value was sealed with a key this server does not hold.
    #[error("value was encrypted with key `{0}`, which is not configured")]
    UnknownKey(String),
    /// The ciphertext is malformed, tampered with or belongs to another row.
    #[error("value failed to decrypt: it is corrupted, was tampered with, or belongs to another record")]
    Tampered,
}

/// A short public id of a key: the first 16 hex digits of SHA-256 over a label and the key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KeyId(pub String);

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A sealed secret and the id of the key that sealed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sealed {
    /// Which key sealed it.
    pub key_id: KeyId,
    /// `base64(nonce || ciphertext)`.
    pub blob: String,
}

/// Holds the current key (used to seal) and older keys (only used to open, during rotation).
pub struct SecretBox {
    current: KeyId,
    ciphers: HashMap<KeyId, Aes256Gcm>,
}

impl fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretBox").field("current", &self.current).finish_non_exhaustive()
    }
}

/// Parses 64 hex characters into a 32-byte key.
pub fn parse_key_hex(hex_key: &str) -> Result<[u8; 32], CryptoError> {
    let bytes = hex::decode(hex_key.trim()).map_err(|_| CryptoError::BadKey)?;
    bytes.try_into().map_err(|_| CryptoError::BadKey)
}

fn key_id(key: &[u8; 32]) -> KeyId {
    let digest = Sha256::new().chain_update(b"switchboard-key-id\0").chain_update(key).finalize();
    KeyId(hex::encode(&digest[..8]))
}

impl SecretBox {
    /// A box sealing with `current` and able to open values sealed with any of `previous`.
    pub fn new(current: &[u8; 32], previous: &[[u8; 32]]) -> Self {
        let mut ciphers = HashMap::new();
        for key in previous.iter().chain(std::iter::once(current)) {
            ciphers.insert(key_id(key), Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key)));
        }
        Self { current: key_id(current), ciphers }
    }

    /// The id of the key new values are sealed with.
    pub fn current_key_id(&self) -> &KeyId {
        &self.current
    }

    /// Seals `plaintext`, bound to `context` (for example `connection:<id>:password`).
    pub fn seal(&self, plaintext: &SecretString, context: &str) -> Sealed {
        let cipher = &self.ciphers[&self.current];
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let payload = Payload { msg: plaintext.expose_secret().as_bytes(), aad: context.as_bytes() };
        // Encryption with a valid key and in-memory buffers cannot fail; an error here would be a bug
        // in the cipher crate, and an empty blob then fails closed when opened.
        let ciphertext = cipher.encrypt(&nonce, payload).unwrap_or_default();
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&ciphertext);
        Sealed { key_id: self.current.clone(), blob: B64.encode(blob) }
    }

    /// Opens a sealed value; fails closed on any mismatch.
    pub fn open(&self, sealed: &Sealed, context: &str) -> Result<SecretString, CryptoError> {
        let cipher =
            self.ciphers.get(&sealed.key_id).ok_or_else(|| CryptoError::UnknownKey(sealed.key_id.0.clone()))?;
        let raw = B64.decode(&sealed.blob).map_err(|_| CryptoError::Tampered)?;
        if raw.len() <= NONCE_LEN {
            return Err(CryptoError::Tampered);
        }
        let (nonce, ciphertext) = raw.split_at(NONCE_LEN);
        let plaintext = cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: ciphertext, aad: context.as_bytes() })
            .map_err(|_| CryptoError::Tampered)?;
        String::from_utf8(plaintext).map(SecretString::from).map_err(|_| CryptoError::Tampered)
    }
}

/// Generates a fresh random 32-byte key as 64 hex characters.
pub fn generate_key_hex() -> String {
    hex::encode(Aes256Gcm::generate_key(&mut OsRng))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_string())
    }

    #[test]
    fn round_trip_and_fresh_nonce() {
        let key = parse_key_hex(&generate_key_hex()).unwrap();
        let sb = SecretBox::new(&key, &[]);
        let a = sb.seal(&secret("hunter2"), "c:1:password");
        let b = sb.seal(&secret("hunter2"), "c:1:password");
        assert_ne!(a.blob, b.blob);
        assert_eq!(sb.open(&a, "c:1:password").unwrap().expose_secret(), "hunter2");
    }

    #[test]
    fn flipped_byte_and_wrong_context_fail_closed() {
        let key = parse_key_hex(&generate_key_hex()).unwrap();
        let sb = SecretBox::new(&key, &[]);
        let sealed = sb.seal(&secret("hunter2"), "ctx");
        let mut raw = B64.decode(&sealed.blob).unwrap();
        raw[NONCE_LEN + 1] ^= 0x01;
        let tampered = Sealed { key_id: sealed.key_id.clone(), blob: B64.encode(raw) };
        assert!(matches!(sb.open(&tampered, "ctx"), Err(CryptoError::Tampered)));
        assert!(matches!(sb.open(&sealed, "other"), Err(CryptoError::Tampered)));
    }

    #[test]
    fn old_keys_open_and_unknown_keys_are_named() {
        let old = parse_key_hex(&generate_key_hex()).unwrap();
        let new = parse_key_hex(&generate_key_hex()).unwrap();
        let sealed = SecretBox::new(&old, &[]).seal(&secret("s3cret"), "ctx");
        assert_eq!(SecretBox::new(&new, &[old]).open(&sealed, "ctx").unwrap().expose_secret(), "s3cret");
        assert!(matches!(SecretBox::new(&new, &[]).open(&sealed, "ctx"), Err(CryptoError::UnknownKey(_))));
    }

    #[test]
    fn bad_keys_rejected() {
        assert!(parse_key_hex("abc").is_err());
        assert!(parse_key_hex(&"zz".repeat(32)).is_err());
    }
}
