//! Secrets stored at rest (payment provider keys, mail tool connectors' tokens): sealed with an
//! authenticated cipher (XChaCha20-Poly1305) under one key from the server's configuration, so
//! that a copy of the database alone gives none of them away.
//!
//! The key is `FULLHOUSE_SECRET_KEY` (32 bytes, base64) when set — every node of a cluster must
//! then be given the same one — else a key file created once in the data directory
//! ([`KEY_FILE`], mode 0600). Losing the key loses the stored secrets (they can be typed again);
//! it never loses anything else.
//!
//! Each sealed value is bound to a *purpose* (associated data such as
//! `checkout.stripe.secret_key:{org}`): a sealed value copied into another organization's row, or
//! into another field, does not open.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;

use crate::error::{Error, Result};

/// The environment variable that carries the key (base64 of 32 bytes).
pub const KEY_ENV: &str = "FULLHOUSE_SECRET_KEY";
/// The key file in the data directory, used when [`KEY_ENV`] is not set.
pub const KEY_FILE: &str = "secret.key";
/// The prefix of every sealed value: the format's version, so that a later cipher can be told
/// apart from this one.
const VERSION: &str = "v1:";
const NONCE_LEN: usize = 24;

/// The server's sealing key. Cheap to clone.
#[derive(Clone)]
pub struct SecretBox {
    cipher: Arc<XChaCha20Poly1305>,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

impl SecretBox {
    pub fn from_key(key: [u8; 32]) -> Self {
        Self {
            cipher: Arc::new(XChaCha20Poly1305::new(&key.into())),
        }
    }

    /// The configured key: [`KEY_ENV`] if set, else `<data_dir>/secret.key` (created once).
    pub fn load(data_dir: &Path) -> Result<Self> {
        match std::env::var(KEY_ENV) {
            Ok(value) if !value.trim().is_empty() => Ok(Self::from_key(decode_key(&value)?)),
            _ => Self::from_file(&data_dir.join(KEY_FILE)),
        }
    }

    /// The key in `path`, written there first (32 random bytes, base64, mode 0600) when the file
    /// does not exist. Created with `create_new`, so two processes starting at once agree on
    /// the one that won.
    pub fn from_file(path: &Path) -> Result<Self> {
        if !path.exists() {
            let mut key = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut key);
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            match options.open(path) {
                Ok(mut file) => {
                    file.write_all(STANDARD.encode(key).as_bytes())
                        .and_then(|()| file.sync_all())
                        .map_err(|e| key_file_error(path, &e))?;
                    return Ok(Self::from_key(key));
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(key_file_error(path, &e)),
            }
        }
        let text = std::fs::read_to_string(path).map_err(|e| key_file_error(path, &e))?;
        Ok(Self::from_key(decode_key(&text)?))
    }

    /// Seals `plaintext` for `purpose`: `v1:` and base64 of a random nonce and the ciphertext
    /// with its tag.
    pub fn seal(&self, purpose: &str, plaintext: &str) -> Result<String> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: purpose.as_bytes(),
                },
            )
            .map_err(|_| Error::internal("sealing a secret failed"))?;
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        Ok(format!("{VERSION}{}", STANDARD.encode(bytes)))
    }

    /// Opens what [`Self::seal`] sealed for the same `purpose`. A value sealed under another key
    /// or for another purpose, or changed in any way, is an error (never a wrong plaintext).
    pub fn open(&self, purpose: &str, sealed: &str) -> Result<String> {
        let unreadable = || {
            Error::internal(format!(
                "a stored secret ({purpose}) cannot be opened with this server's key \
                 ({KEY_ENV} or the data directory's {KEY_FILE}); store it again"
            ))
        };
        let encoded = sealed.strip_prefix(VERSION).ok_or_else(unreadable)?;
        let bytes = STANDARD.decode(encoded).map_err(|_| unreadable())?;
        if bytes.len() < NONCE_LEN {
            return Err(unreadable());
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: purpose.as_bytes(),
                },
            )
            .map_err(|_| unreadable())?;
        String::from_utf8(plain).map_err(|_| unreadable())
    }
}

/// How a stored secret is shown: never the value, only its last four characters.
pub fn last4(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    chars[chars.len().saturating_sub(4)..].iter().collect()
}

fn decode_key(text: &str) -> Result<[u8; 32]> {
    let bytes = STANDARD.decode(text.trim()).map_err(|_| {
        Error::internal(format!(
            "{KEY_ENV} (or {KEY_FILE}) is not base64: give 32 random bytes, e.g. `openssl rand -base64 32`"
        ))
    })?;
    bytes.try_into().map_err(|b: Vec<u8>| {
        Error::internal(format!(
            "{KEY_ENV} (or {KEY_FILE}) holds {} bytes; it must hold 32",
            b.len()
        ))
    })
}

fn key_file_error(path: &Path, err: &std::io::Error) -> Error {
    Error::internal(format!("the secret key file {}: {err}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxed() -> SecretBox {
        SecretBox::from_key([7u8; 32])
    }

    #[test]
    fn a_sealed_secret_opens_for_its_purpose_and_hides_the_plaintext() {
        let sealed = boxed().seal("stripe:org1", "sk_test_abcdef").unwrap();
        assert!(sealed.starts_with("v1:"));
        assert!(!sealed.contains("sk_test"));
        assert_eq!(
            boxed().open("stripe:org1", &sealed).unwrap(),
            "sk_test_abcdef"
        );
    }

    #[test]
    fn sealing_twice_gives_different_ciphertexts() {
        let b = boxed();
        assert_ne!(b.seal("p", "same").unwrap(), b.seal("p", "same").unwrap());
    }

    #[test]
    fn another_purpose_another_key_or_a_changed_byte_does_not_open() {
        let sealed = boxed().seal("stripe:org1", "sk_test_abcdef").unwrap();
        assert!(boxed().open("stripe:org2", &sealed).is_err());
        assert!(SecretBox::from_key([8u8; 32])
            .open("stripe:org1", &sealed)
            .is_err());
        let mut bytes = STANDARD.decode(&sealed[3..]).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let tampered = format!("v1:{}", STANDARD.encode(bytes));
        assert!(boxed().open("stripe:org1", &tampered).is_err());
        assert!(boxed().open("stripe:org1", "v1:!!").is_err());
        assert!(boxed().open("stripe:org1", "plain").is_err());
    }

    #[test]
    fn the_key_file_is_created_once_private_and_read_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(KEY_FILE);
        let first = SecretBox::from_file(&path).unwrap();
        let sealed = first.seal("p", "secret").unwrap();
        let again = SecretBox::from_file(&path).unwrap();
        assert_eq!(again.open("p", &sealed).unwrap(), "secret");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_key_of_the_wrong_length_is_refused() {
        assert!(decode_key(&STANDARD.encode([1u8; 16])).is_err());
        assert!(decode_key("not base64 at all!").is_err());
        assert!(decode_key(&STANDARD.encode([1u8; 32])).is_ok());
    }

    #[test]
    fn only_the_last_four_characters_are_shown() {
        assert_eq!(last4("sk_test_abcd1234"), "1234");
        assert_eq!(last4("ab"), "ab");
    }
}
