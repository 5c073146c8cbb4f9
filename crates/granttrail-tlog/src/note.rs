//! C2SP signed notes with Ed25519 keys: a text, then a blank line, then
//! one line per signature, `— <key name> <base64(key ID ‖ signature)>`.
//!
//! A key is named (for a log, its origin) and identified by a 4-byte key
//! ID, the first bytes of SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key), where
//! 0x01 says "Ed25519". A verifier key travels as one line a person can
//! copy: `<name>+<key ID in hex>+<base64(0x01 ‖ public key)>`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signer as _, SigningKey, Verifier as _, VerifyingKey};
use sha2::{Digest, Sha256};

/// The signature type byte of Ed25519 in key IDs and encoded keys.
const ED25519: u8 = 0x01;
/// What every signature line starts with: an em dash and a space.
const SIGNATURE_PREFIX: &str = "\u{2014} ";

/// Why a note, a key or a signature is not acceptable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// A key name must be non-empty, without spaces or `+`.
    #[error("'{0}' is not a key name (non-empty, no spaces, no '+')")]
    BadName(String),
    /// The text of a note must end with a newline and have no blank line.
    #[error("a note's text must be non-empty lines, each ending with a newline")]
    BadText,
    /// The note is not text, blank line, signature lines.
    #[error("not a signed note: {0}")]
    Malformed(String),
    /// An encoded verifier key that cannot be read.
    #[error("not a verifier key (NAME+KEYID+BASE64): {0}")]
    BadKey(String),
    /// No signature by this key is on the note.
    #[error("the note carries no signature by {name} (key {key_id:08x})")]
    NotSigned {
        /// The key's name.
        name: String,
        /// Its key ID.
        key_id: u32,
    },
    /// A signature by this key is on the note but does not verify.
    #[error("the signature by {name} (key {key_id:08x}) does not verify")]
    BadSignature {
        /// The key's name.
        name: String,
        /// Its key ID.
        key_id: u32,
    },
}

fn check_name(name: &str) -> Result<(), NoteError> {
    if name.is_empty() || name.contains('+') || name.chars().any(char::is_whitespace) {
        return Err(NoteError::BadName(name.to_owned()));
    }
    Ok(())
}

fn check_text(text: &str) -> Result<(), NoteError> {
    let acceptable = text.ends_with('\n')
        && !text.starts_with('\n')
        && !text.contains("\n\n")
        && !text.chars().any(|c| c.is_control() && c != '\n');
    if acceptable {
        Ok(())
    } else {
        Err(NoteError::BadText)
    }
}

/// The key ID of an Ed25519 key named `name`.
pub fn key_id(name: &str, key: &VerifyingKey) -> u32 {
    let mut hasher = Sha256::new();
    hasher.update(name.as_bytes());
    hasher.update(b"\n");
    hasher.update([ED25519]);
    hasher.update(key.as_bytes());
    let digest = hasher.finalize();
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// A named key that can check signatures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    key_id: u32,
    key: VerifyingKey,
}

impl NoteVerifier {
    /// The verifier of `key` under `name`.
    pub fn new(name: &str, key: VerifyingKey) -> Result<NoteVerifier, NoteError> {
        check_name(name)?;
        Ok(NoteVerifier {
            name: name.to_owned(),
            key_id: key_id(name, &key),
            key,
        })
    }

    /// Reads an encoded verifier key, `NAME+KEYID+BASE64`, checking that
    /// the key ID belongs to the name and key.
    pub fn parse(encoded: &str) -> Result<NoteVerifier, NoteError> {
        let bad = |why: &str| NoteError::BadKey(format!("{why}: {encoded}"));
        let encoded = encoded.trim();
        let mut parts = encoded.splitn(3, '+');
        let (Some(name), Some(id), Some(material)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(bad("three parts joined by '+' expected"));
        };
        let id = u32::from_str_radix(id, 16)
            .ok()
            .filter(|_| id.len() == 8)
            .ok_or_else(|| bad("the key ID is not 8 hex digits"))?;
        let raw = STANDARD
            .decode(material)
            .map_err(|_| bad("the key is not base64"))?;
        let (&kind, key) = raw.split_first().ok_or_else(|| bad("the key is empty"))?;
        if kind != ED25519 {
            return Err(bad("not an Ed25519 key"));
        }
        let key: [u8; 32] = key
            .try_into()
            .map_err(|_| bad("an Ed25519 key has 32 bytes"))?;
        let key = VerifyingKey::from_bytes(&key).map_err(|_| bad("not a valid Ed25519 key"))?;
        let verifier = NoteVerifier::new(name, key)?;
        if verifier.key_id != id {
            return Err(bad("the key ID does not match the name and key"));
        }
        Ok(verifier)
    }

    /// The encoded form, `NAME+KEYID+BASE64`.
    pub fn encode(&self) -> String {
        let mut material = vec![ED25519];
        material.extend_from_slice(self.key.as_bytes());
        format!(
            "{}+{:08x}+{}",
            self.name,
            self.key_id,
            STANDARD.encode(material)
        )
    }

    /// The key's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key ID.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The public key.
    pub fn key(&self) -> &VerifyingKey {
        &self.key
    }
}

/// A named key that signs notes.
#[derive(Clone)]
pub struct NoteSigner {
    verifier: NoteVerifier,
    key: SigningKey,
}

impl std::fmt::Debug for NoteSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the private key.
        f.debug_struct("NoteSigner")
            .field("verifier", &self.verifier.encode())
            .finish_non_exhaustive()
    }
}

impl NoteSigner {
    /// The signer of `key` under `name`.
    pub fn new(name: &str, key: SigningKey) -> Result<NoteSigner, NoteError> {
        Ok(NoteSigner {
            verifier: NoteVerifier::new(name, key.verifying_key())?,
            key,
        })
    }

    /// Reads an encoded signer key, `PRIVATE+KEY+NAME+KEYID+BASE64` (the
    /// form Go's `note.GenerateKey` writes).
    pub fn parse(encoded: &str) -> Result<NoteSigner, NoteError> {
        let bad = |why: &str| NoteError::BadKey(format!("{why} (a signer key)"));
        let rest = encoded
            .trim()
            .strip_prefix("PRIVATE+KEY+")
            .ok_or_else(|| bad("PRIVATE+KEY+ expected"))?;
        let mut parts = rest.splitn(3, '+');
        let (Some(name), Some(id), Some(material)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(bad("five parts joined by '+' expected"));
        };
        let raw = STANDARD.decode(material).map_err(|_| bad("not base64"))?;
        let (&kind, seed) = raw.split_first().ok_or_else(|| bad("empty"))?;
        let seed: [u8; 32] = seed
            .try_into()
            .ok()
            .filter(|_| kind == ED25519)
            .ok_or_else(|| bad("not an Ed25519 seed"))?;
        let signer = NoteSigner::new(name, SigningKey::from_bytes(&seed))?;
        if format!("{:08x}", signer.verifier.key_id) != id {
            return Err(bad("the key ID does not match"));
        }
        Ok(signer)
    }

    /// The matching verifier.
    pub fn verifier(&self) -> &NoteVerifier {
        &self.verifier
    }

    /// The signature line this key gives `text` (which must be a note's
    /// text: lines each ending with a newline).
    pub fn signature_line(&self, text: &str) -> Result<String, NoteError> {
        check_text(text)?;
        let signature = self.key.sign(text.as_bytes());
        let mut blob = self.verifier.key_id.to_be_bytes().to_vec();
        blob.extend_from_slice(&signature.to_bytes());
        Ok(format!(
            "{SIGNATURE_PREFIX}{} {}\n",
            self.verifier.name,
            STANDARD.encode(blob)
        ))
    }

    /// `text` signed by this key, as a whole note.
    pub fn sign(&self, text: &str) -> Result<String, NoteError> {
        Ok(format!("{text}\n{}", self.signature_line(text)?))
    }
}

/// One signature line of a note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteSignature {
    /// The key's name.
    pub name: String,
    /// The key ID the signature claims.
    pub key_id: u32,
    /// The signature bytes.
    pub signature: Vec<u8>,
    /// The line as it stands in the note (with its newline).
    pub line: String,
}

/// A signed note, read but not yet trusted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// The signed text (each line ending with a newline).
    pub text: String,
    /// The signatures, in order.
    pub signatures: Vec<NoteSignature>,
}

impl Note {
    /// Reads a note: text, a blank line, one or more signature lines.
    pub fn parse(note: &str) -> Result<Note, NoteError> {
        let split = note
            .rfind("\n\n")
            .ok_or_else(|| NoteError::Malformed("no blank line before the signatures".into()))?;
        let text = &note[..split + 1];
        check_text(text)?;
        let lines = &note[split + 2..];
        if lines.is_empty() || !lines.ends_with('\n') {
            return Err(NoteError::Malformed("no signature lines".into()));
        }
        let mut signatures = Vec::new();
        for line in lines.split_inclusive('\n') {
            let body = line
                .strip_prefix(SIGNATURE_PREFIX)
                .and_then(|l| l.strip_suffix('\n'))
                .ok_or_else(|| NoteError::Malformed(format!("not a signature line: {line:?}")))?;
            let (name, blob) = body
                .split_once(' ')
                .ok_or_else(|| NoteError::Malformed(format!("no signature in {line:?}")))?;
            check_name(name)?;
            let blob = STANDARD
                .decode(blob)
                .map_err(|_| NoteError::Malformed(format!("signature not base64: {line:?}")))?;
            if blob.len() < 5 {
                return Err(NoteError::Malformed(format!(
                    "signature too short: {line:?}"
                )));
            }
            signatures.push(NoteSignature {
                name: name.to_owned(),
                key_id: u32::from_be_bytes([blob[0], blob[1], blob[2], blob[3]]),
                signature: blob[4..].to_vec(),
                line: line.to_owned(),
            });
        }
        Ok(Note {
            text: text.to_owned(),
            signatures,
        })
    }

    /// Checks that `verifier`'s key signed this note's text.
    pub fn verify(&self, verifier: &NoteVerifier) -> Result<(), NoteError> {
        let signature = self
            .signatures
            .iter()
            .find(|s| s.name == verifier.name && s.key_id == verifier.key_id)
            .ok_or_else(|| NoteError::NotSigned {
                name: verifier.name.clone(),
                key_id: verifier.key_id,
            })?;
        let bad = || NoteError::BadSignature {
            name: verifier.name.clone(),
            key_id: verifier.key_id,
        };
        let bytes: [u8; 64] = signature
            .signature
            .as_slice()
            .try_into()
            .map_err(|_| bad())?;
        verifier
            .key
            .verify(
                self.text.as_bytes(),
                &ed25519_dalek::Signature::from_bytes(&bytes),
            )
            .map_err(|_| bad())
    }

    /// The note with `signer`'s signature added after the others (a
    /// cosignature).
    pub fn cosigned(&self, signer: &NoteSigner) -> Result<String, NoteError> {
        let mut note = format!("{}\n", self.text);
        for signature in &self.signatures {
            note.push_str(&signature.line);
        }
        note.push_str(&signer.signature_line(&self.text)?);
        Ok(note)
    }
}
