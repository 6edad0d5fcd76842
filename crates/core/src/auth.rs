//! Secrets: argon2id password hashes, random tokens, and the SHA-256 digests tokens are stored as.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// Prefix of login-session tokens (cookie or bearer).
pub const SESSION_PREFIX: &str = "fhs_";
/// Prefix of API tokens.
pub const API_TOKEN_PREFIX: &str = "fht_";

/// Hashes a password with argon2id. CPU-heavy: runs on the blocking pool.
pub async fn hash_password(password: String) -> Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| Error::internal(format!("hashing a password failed: {e}")))
    })
    .await
    .map_err(Error::internal)?
}

/// Checks a password against its stored hash, on the blocking pool.
pub async fn verify_password(password: String, stored_hash: String) -> Result<bool> {
    tokio::task::spawn_blocking(move || {
        let Ok(parsed) = PasswordHash::new(&stored_hash) else {
            return false;
        };
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
    .await
    .map_err(Error::internal)
}

/// A password hash nobody can match, compared against when the email is unknown so that a
/// login's timing does not reveal which emails have accounts.
pub const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$yJsh3u7G9H3oO7Q1l1Q6b2m6w0cZsUPpGfJp4Y3kXqA";

/// A fresh random token: `prefix` then 64 hex characters (256 bits).
pub fn new_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

/// Tokens are stored only as their SHA-256 digest: a leaked database does not leak sessions.
pub fn token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Minimum rules for a password a human chooses.
pub fn validate_password(password: &str) -> Result<()> {
    if password.chars().count() < 10 {
        return Err(Error::invalid(
            "password",
            "must be at least 10 characters long",
        ));
    }
    if password.len() > 1024 {
        return Err(Error::invalid(
            "password",
            "must be at most 1024 bytes long",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_password_verifies_against_its_own_hash_only() {
        let hash = hash_password("correct horse battery".into())
            .await
            .ok()
            .unwrap_or_default();
        assert!(hash.starts_with("$argon2id$"));
        assert!(
            verify_password("correct horse battery".into(), hash.clone())
                .await
                .unwrap_or(false)
        );
        assert!(!verify_password("wrong horse battery".into(), hash)
            .await
            .unwrap_or(true));
        assert!(!verify_password("x".into(), DUMMY_HASH.into())
            .await
            .unwrap_or(true));
    }

    #[test]
    fn tokens_are_long_random_and_stored_as_digests() {
        let a = new_token(API_TOKEN_PREFIX);
        let b = new_token(API_TOKEN_PREFIX);
        assert_ne!(a, b);
        assert_eq!(a.len(), API_TOKEN_PREFIX.len() + 64);
        assert_eq!(token_digest(&a).len(), 64);
        assert_ne!(token_digest(&a), a);
    }
}
