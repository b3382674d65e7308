//! Signed, expiring one-click acknowledge links.
//!
//! A token names an incident, who it was sent to and when it expires, and
//! carries an HMAC-SHA256 of those under a key only the server knows (kept
//! in the store, so every instance can check a token any instance made):
//! `INCIDENT.EXPIRES.WHO.SIGNATURE`, with `WHO` and `SIGNATURE` in
//! unpadded base64url, so the token is one URL path segment. Anyone holding
//! the link may acknowledge that one incident until it expires, and nothing
//! else.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use jiff::Timestamp;
use sha2::Sha256;

/// Bytes of the signature kept in a token (128 bits).
const SIGNATURE_BYTES: usize = 16;
/// Longest token accepted, so a crafted URL costs nothing to reject.
const MAX_TOKEN: usize = 512;

/// What a valid token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckClaim {
    /// The incident to acknowledge.
    pub incident: i64,
    /// Who the link was sent to (a recipient id such as `person:alice#0`).
    pub who: String,
    /// When the link stops working.
    pub expires: Timestamp,
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckError {
    /// Not a token this server makes.
    Malformed,
    /// The signature does not match: forged or altered.
    BadSignature,
    /// It was valid, but has expired.
    Expired,
}

impl std::fmt::Display for AckError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            AckError::Malformed => "this is not an acknowledge link",
            AckError::BadSignature => "this acknowledge link is not valid",
            AckError::Expired => "this acknowledge link has expired",
        })
    }
}

impl std::error::Error for AckError {}

/// A token acknowledging `incident` on behalf of `who` until `expires`.
pub fn sign(key: &[u8], incident: i64, who: &str, expires: Timestamp) -> String {
    let expires = expires.as_second();
    let signature = mac(key, incident, expires, who);
    format!(
        "{incident}.{expires}.{}.{}",
        URL_SAFE_NO_PAD.encode(who),
        URL_SAFE_NO_PAD.encode(&signature[..SIGNATURE_BYTES])
    )
}

/// Checks `token` at `now`.
pub fn verify(key: &[u8], token: &str, now: Timestamp) -> Result<AckClaim, AckError> {
    if token.len() > MAX_TOKEN {
        return Err(AckError::Malformed);
    }
    let mut parts = token.split('.');
    let (Some(incident), Some(expires), Some(who), Some(signature), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(AckError::Malformed);
    };
    let incident: i64 = incident.parse().map_err(|_| AckError::Malformed)?;
    let expires: i64 = expires.parse().map_err(|_| AckError::Malformed)?;
    let who = URL_SAFE_NO_PAD
        .decode(who)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or(AckError::Malformed)?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| AckError::Malformed)?;
    let mut check = <Hmac<Sha256> as Mac>::new_from_slice(key).map_err(|_| AckError::Malformed)?;
    check.update(&message(incident, expires, &who));
    if signature.len() != SIGNATURE_BYTES {
        return Err(AckError::BadSignature);
    }
    check
        .verify_truncated_left(&signature)
        .map_err(|_| AckError::BadSignature)?;
    let expires = Timestamp::from_second(expires).map_err(|_| AckError::Malformed)?;
    if now >= expires {
        return Err(AckError::Expired);
    }
    Ok(AckClaim {
        incident,
        who,
        expires,
    })
}

fn mac(key: &[u8], incident: i64, expires: i64, who: &str) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(&message(incident, expires, who));
    mac.finalize().into_bytes().to_vec()
}

fn message(incident: i64, expires: i64, who: &str) -> Vec<u8> {
    format!("shipshape-ack\n{incident}\n{expires}\n{who}").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn at(s: i64) -> Timestamp {
        Timestamp::from_second(s).unwrap()
    }

    #[test]
    fn a_signed_token_verifies_until_it_expires() {
        let token = sign(KEY, 42, "person:alice#0", at(2_000));
        let claim = verify(KEY, &token, at(1_000)).unwrap();
        assert_eq!(claim.incident, 42);
        assert_eq!(claim.who, "person:alice#0");
        assert_eq!(verify(KEY, &token, at(2_000)), Err(AckError::Expired));
        assert!(
            token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        );
    }

    #[test]
    fn altered_or_foreign_tokens_are_refused() {
        let token = sign(KEY, 42, "person:alice#0", at(2_000));
        let other = token.replacen("42.", "43.", 1);
        assert_eq!(verify(KEY, &other, at(1_000)), Err(AckError::BadSignature));
        assert_eq!(
            verify(b"another key", &token, at(1_000)),
            Err(AckError::BadSignature)
        );
        let longer = token.replacen("2000.", "9000.", 1);
        assert_eq!(verify(KEY, &longer, at(1_000)), Err(AckError::BadSignature));
        let truncated = &token[..token.len() - 4];
        assert!(verify(KEY, truncated, at(1_000)).is_err());
        for bad in ["", "x", "1.2.3", "1.2.3.4.5", "a.b.c.d", &"9".repeat(600)] {
            assert!(verify(KEY, bad, at(1_000)).is_err(), "{bad}");
        }
    }
}
