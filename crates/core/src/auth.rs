//! Secrets: argon2id password hashes, random tokens, and the SHA-256 digests tokens are stored as.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

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

/// Checks `password` against a hash nobody can match, with the same argon2 parameters as real
/// hashes: a login whose email (or organization) is unknown does the same work as one with a
/// wrong password, so its timing does not reveal which accounts exist. Always `false`.
pub async fn verify_dummy_password(password: String) -> Result<bool> {
    static DUMMY_HASH: OnceLock<String> = OnceLock::new();
    tokio::task::spawn_blocking(move || {
        let stored = DUMMY_HASH.get_or_init(|| {
            let salt = SaltString::generate(&mut OsRng);
            Argon2::default()
                .hash_password(new_token("").as_bytes(), &salt)
                .map(|hash| hash.to_string())
                .unwrap_or_default()
        });
        let Ok(parsed) = PasswordHash::new(stored) else {
            return false;
        };
        // Verified for its cost only: the random password it hashes was never kept.
        let _ = Argon2::default().verify_password(password.as_bytes(), &parsed);
        false
    })
    .await
    .map_err(Error::internal)
}

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
        return Err(Error::invalid_because(
            "password",
            crate::Problem::PasswordTooShort,
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

/// Failed logins one account (one email) may have within [`ACCOUNT_WINDOW`].
pub const ACCOUNT_FAILURES_PER_WINDOW: u32 = 10;
/// How long an account's failed logins count; after it the account may be tried again, so an
/// attacker who guesses wrong on purpose locks the real user out for at most this long.
pub const ACCOUNT_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Accounts tracked at once; past it, expired windows are dropped, and if none has expired a
/// new email is not tracked (the per-address limit still applies), so memory stays bounded.
const ACCOUNT_WINDOWS_TRACKED: usize = 100_000;

/// Counts failed logins per account (the lowercased email, whether or not such a user exists,
/// so the limit does not tell which emails have accounts), across every client address: guesses
/// spread over many addresses still stop after [`ACCOUNT_FAILURES_PER_WINDOW`].
///
/// A window opens at the first failure and lasts [`ACCOUNT_WINDOW`]; a successful login closes
/// it. An attempt counts as a failure from the moment it starts (and is given back unless it
/// fails on the password), so many guesses sent at once cannot all slip past the count.
#[derive(Clone, Default)]
pub struct AccountThrottle(Arc<Mutex<HashMap<String, FailureWindow>>>);

#[derive(Debug, Clone, Copy)]
struct FailureWindow {
    started: Instant,
    failures: u32,
}

impl FailureWindow {
    fn expired(&self, now: Instant) -> bool {
        now.saturating_duration_since(self.started) >= ACCOUNT_WINDOW
    }
}

impl AccountThrottle {
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts a login attempt for `email`, or answers how long until the account may be tried
    /// again.
    pub fn begin(&self, email: &str) -> std::result::Result<LoginAttempt, Duration> {
        self.begin_at(email, Instant::now())
    }

    fn begin_at(&self, email: &str, now: Instant) -> std::result::Result<LoginAttempt, Duration> {
        // No account has an email longer than 254 characters; the cap keeps keys small.
        let key: String = email.trim().to_lowercase().chars().take(254).collect();
        let mut windows = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if !windows.contains_key(&key) && windows.len() >= ACCOUNT_WINDOWS_TRACKED {
            windows.retain(|_, w| !w.expired(now));
            if windows.len() >= ACCOUNT_WINDOWS_TRACKED {
                return Ok(LoginAttempt::untracked(self.clone(), key));
            }
        }
        let window = windows.entry(key.clone()).or_insert(FailureWindow {
            started: now,
            failures: 0,
        });
        if window.expired(now) {
            *window = FailureWindow {
                started: now,
                failures: 0,
            };
        }
        if window.failures >= ACCOUNT_FAILURES_PER_WINDOW {
            return Err(
                ACCOUNT_WINDOW.saturating_sub(now.saturating_duration_since(window.started))
            );
        }
        window.failures += 1;
        Ok(LoginAttempt {
            throttle: self.clone(),
            key,
            started: Some(window.started),
            outcome: Outcome::Undecided,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Undecided,
    Failed,
    Succeeded,
}

/// One login attempt under way. Say how it ended with [`LoginAttempt::failed`] or
/// [`LoginAttempt::succeeded`]; dropped undecided (the login failed for another reason than the
/// password, e.g. the database), it is not counted.
pub struct LoginAttempt {
    throttle: AccountThrottle,
    key: String,
    /// The window it was counted in; `None` when the account was not tracked.
    started: Option<Instant>,
    outcome: Outcome,
}

impl LoginAttempt {
    fn untracked(throttle: AccountThrottle, key: String) -> Self {
        Self {
            throttle,
            key,
            started: None,
            outcome: Outcome::Undecided,
        }
    }

    /// The password (or the email) was wrong: the attempt stays counted.
    pub fn failed(mut self) {
        self.outcome = Outcome::Failed;
    }

    /// The user logged in: their failures are forgotten.
    pub fn succeeded(mut self) {
        self.outcome = Outcome::Succeeded;
    }
}

impl Drop for LoginAttempt {
    fn drop(&mut self) {
        let Some(started) = self.started else { return };
        let mut windows = self.throttle.0.lock().unwrap_or_else(|e| e.into_inner());
        match self.outcome {
            Outcome::Failed => {}
            Outcome::Succeeded => {
                windows.remove(&self.key);
            }
            Outcome::Undecided => {
                if let Some(window) = windows.get_mut(&self.key) {
                    if window.started == started {
                        window.failures = window.failures.saturating_sub(1);
                    }
                }
            }
        }
    }
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
        assert!(!verify_dummy_password("x".into()).await.unwrap_or(true));
    }

    #[tokio::test]
    async fn an_unknown_email_costs_the_same_argon2_work_as_a_wrong_password() {
        let hash = hash_password("correct horse battery".into())
            .await
            .ok()
            .unwrap_or_default();
        let _ = verify_dummy_password("warm up".into()).await;
        let started = Instant::now();
        for _ in 0..3 {
            let _ = verify_password("wrong horse battery".into(), hash.clone()).await;
        }
        let real = started.elapsed();
        let started = Instant::now();
        for _ in 0..3 {
            let _ = verify_dummy_password("wrong horse battery".into()).await;
        }
        let dummy = started.elapsed();
        // Same parameters, same work: far apart only if the dummy skipped argon2.
        assert!(
            dummy * 3 > real && real * 3 > dummy,
            "real {real:?}, dummy {dummy:?}"
        );
    }

    #[test]
    fn an_account_is_refused_after_its_failures_until_the_window_ends() {
        let throttle = AccountThrottle::new();
        let start = Instant::now();
        for _ in 0..ACCOUNT_FAILURES_PER_WINDOW {
            let attempt = throttle.begin_at(" Ann@Example.DK", start);
            assert!(attempt.is_ok());
            if let Ok(attempt) = attempt {
                attempt.failed();
            }
        }
        let later = start + Duration::from_secs(60);
        let wait = throttle.begin_at("ann@example.dk", later).err();
        assert_eq!(wait, Some(ACCOUNT_WINDOW - Duration::from_secs(60)));
        // Another account is not touched.
        assert!(throttle.begin_at("bo@example.dk", later).is_ok());
        // The window is bounded: after it the account may be tried again.
        assert!(throttle
            .begin_at("ann@example.dk", start + ACCOUNT_WINDOW)
            .is_ok());
    }

    #[test]
    fn a_success_forgets_the_failures_and_an_undecided_attempt_is_given_back() {
        let throttle = AccountThrottle::new();
        let now = Instant::now();
        for _ in 0..ACCOUNT_FAILURES_PER_WINDOW - 1 {
            if let Ok(attempt) = throttle.begin_at("ann@example.dk", now) {
                attempt.failed();
            }
        }
        // Dropped without an outcome (e.g. a database error): not counted.
        drop(throttle.begin_at("ann@example.dk", now));
        let last = throttle.begin_at("ann@example.dk", now);
        assert!(last.is_ok());
        // Attempts under way count at once: a burst cannot all pass the check.
        assert!(throttle.begin_at("ann@example.dk", now).is_err());
        if let Ok(attempt) = last {
            attempt.succeeded();
        }
        for _ in 0..ACCOUNT_FAILURES_PER_WINDOW {
            assert!(throttle
                .begin_at("ann@example.dk", now)
                .map(LoginAttempt::failed)
                .is_ok());
        }
    }

    #[test]
    fn the_throttle_keeps_a_bounded_number_of_accounts() {
        let throttle = AccountThrottle::new();
        let start = Instant::now();
        for i in 0..ACCOUNT_WINDOWS_TRACKED {
            if let Ok(attempt) = throttle.begin_at(&format!("{i}@example.dk"), start) {
                attempt.failed();
            }
        }
        assert!(throttle.begin_at("new@example.dk", start).is_ok());
        assert_eq!(
            throttle.0.lock().map(|w| w.len()).unwrap_or(0),
            ACCOUNT_WINDOWS_TRACKED
        );
        // Once the windows have expired they make room.
        let attempt = throttle.begin_at("new@example.dk", start + ACCOUNT_WINDOW);
        assert!(attempt.is_ok());
        assert_eq!(throttle.0.lock().map(|w| w.len()).unwrap_or(0), 1);
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
