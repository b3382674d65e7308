//! Webhook signatures: `X-Shipshape-Signature: sha256=<hex>`, an
//! HMAC-SHA256 over `"{timestamp}.{body}"` keyed with the webhook's secret,
//! where `timestamp` is the `X-Shipshape-Timestamp` header (Unix seconds).
//! A receiver recomputes it with [`verify`] and should also refuse old
//! timestamps to stop replays.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &[u8], timestamp: i64, body: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length; `new_from_slice` can't fail for it.
    let mut mac = match HmacSha256::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(_) => unreachable_hmac(),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

#[cold]
fn unreachable_hmac() -> HmacSha256 {
    // Never reached: HMAC accepts every key length. Fall back to an empty
    // key rather than panic.
    <HmacSha256 as hmac::digest::KeyInit>::new(&Default::default())
}

/// The `X-Shipshape-Signature` value for `body` sent at `timestamp`:
/// `sha256=` and the lowercase hex HMAC-SHA256 of `"{timestamp}.{body}"`.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    format!(
        "sha256={}",
        hex::encode(mac(secret, timestamp, body).finalize().into_bytes())
    )
}

/// Whether `header` (an `X-Shipshape-Signature` value) signs `body` sent at
/// `timestamp` with `secret`; compares in constant time.
pub fn verify(secret: &[u8], timestamp: i64, body: &[u8], header: &str) -> bool {
    let Some(hex_sig) = header.trim().strip_prefix("sha256=") else {
        return false;
    };
    let Ok(sig) = hex::decode(hex_sig) else {
        return false;
    };
    mac(secret, timestamp, body).verify_slice(&sig).is_ok()
}

/// The lowercase hex HMAC-SHA256 of `data` under `key`: how a per-webhook
/// secret is derived from a server key (e.g. the status page's webhooks,
/// `derive_secret(key, b"webhook-7")`), so it need not be stored.
pub fn derive_secret(key: &[u8], data: &[u8]) -> String {
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable_hmac(),
    };
    mac.update(data);
    hex::encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_secrets_match_rfc_4231() {
        // RFC 4231, test case 2.
        assert_eq!(
            derive_secret(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
