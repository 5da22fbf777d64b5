//! Where a generation lives. A caller's generations are rows in a few shard objects, and the
//! shard is named inside the gateway's own id, so a get, a delete or an upstream callback goes
//! straight to the one object that holds the row, and a caller's shard count can grow for new
//! jobs without moving old ones.
//!
//! An id keeps the UUID layout callers know (`8-4-4-4-12` lowercase hex, version 4): its first
//! 12 hex digits are the shard's name, the other 74 bits are random. A shard's name is a hash
//! of (caller, shard number), so it tells nothing about the token.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of `text`, lowercase hex: which shard an Idempotency-Key lands on, and the
/// fingerprint of the body it was first sent with.
pub fn sha256_hex(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

/// The name of the caller's shard `i` (`xxxxxxxx-xxxx`), the prefix of every id it holds.
pub fn shard_name(caller: &str, i: u32) -> String {
    let digest = Sha256::digest(format!("shard:{caller}:{i}").as_bytes());
    let h = hex(&digest[..6]);
    format!("{}-{}", &h[..8], &h[8..])
}

/// A new id in `shard` from 10 random bytes (only 74 bits are used, around the UUID's version
/// and variant digits).
pub fn new_id(shard: &str, random: &[u8; 10]) -> String {
    let r = hex(random);
    // The variant digit is 8, 9, a or b: two bits of it are fixed.
    let variant = ["8", "9", "a", "b"][usize::from(random[9] & 3)];
    format!("{shard}-4{}-{variant}{}-{}", &r[0..3], &r[3..6], &r[6..18])
}

/// The shard that holds `id`, or None when `id` is not an id this gateway makes (then it is
/// unknown without waking any object).
pub fn shard_of(id: &str) -> Option<&str> {
    let b = id.as_bytes();
    let layout_ok = b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_digit() || (b'a'..=b'f').contains(c),
        })
        && b[14] == b'4'
        && matches!(b[19], b'8' | b'9' | b'a' | b'b');
    layout_ok.then(|| &id[..13])
}

/// The secret in a generation's callback URL: an HMAC of its id under the gateway's key, so a
/// forged callback is refused before any object is touched and no secret needs storing.
pub fn callback_secret(key: &str, id: &str) -> String {
    match Hmac::<Sha256>::new_from_slice(format!("luma-extend callbacks:{key}").as_bytes()) {
        Ok(mut m) => {
            m.update(id.as_bytes());
            hex(&m.finalize().into_bytes())
        }
        // HMAC takes keys of any length, so this is never reached; no path segment equals "/".
        Err(_) => "/".into(),
    }
}

/// One row of a shard's list page: creation time (ms) and id.
pub type ListKey = (f64, String);

/// Merges the caller's shards' pages (each newest first, each holding its first
/// `offset + limit + 1` rows) into the caller's page: newest first, ties by id descending.
/// Returns the page's ids and whether more follow.
pub fn merge(pages: Vec<Vec<ListKey>>, offset: usize, limit: usize) -> (Vec<String>, bool) {
    let mut all: Vec<ListKey> = pages.into_iter().flatten().collect();
    all.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| b.1.cmp(&a.1)));
    let has_more = all.len() > offset + limit;
    let ids = all
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|k| k.1)
        .collect();
    (ids, has_more)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_hex_is_the_standard_digest() {
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(sha256_hex("").len(), 64);
    }

    #[test]
    fn ids_name_their_shard_and_look_like_uuids() {
        let shard = shard_name("caller-1", 0);
        assert_eq!(shard.len(), 13);
        assert_ne!(shard, shard_name("caller-1", 1));
        assert_ne!(shard, shard_name("caller-2", 0));
        for last in [0u8, 1, 2, 3, 255] {
            let id = new_id(&shard, &[0xab, 1, 2, 3, 4, 5, 6, 7, 8, last]);
            assert_eq!(shard_of(&id), Some(shard.as_str()), "{id}");
            assert_eq!(id.len(), 36);
        }
        let a = new_id(&shard, &[1; 10]);
        assert_ne!(a, new_id(&shard, &[2; 10]));
    }

    #[test]
    fn foreign_ids_name_no_shard() {
        for bad in [
            "",
            "abc",
            "0123456789ab-cdef",
            "01234567-89ab-1def-8123-456789abcdef", // version 1
            "01234567-89ab-4def-c123-456789abcdef", // variant c
            "01234567-89AB-4def-8123-456789abcdef", // upper case
            "01234567-89ab-4def-8123-456789abcdeg",
            "01234567-89ab-4def-8123-456789abcdef0",
        ] {
            assert_eq!(shard_of(bad), None, "{bad}");
        }
    }

    #[test]
    fn callback_secrets_depend_on_key_and_id() {
        let s = callback_secret("key", "id-1");
        assert_eq!(s.len(), 64);
        assert_eq!(s, callback_secret("key", "id-1"));
        assert_ne!(s, callback_secret("key", "id-2"));
        assert_ne!(s, callback_secret("other", "id-1"));
    }

    #[test]
    fn pages_merge_newest_first_then_by_id() {
        let page = |rows: &[(f64, &str)]| rows.iter().map(|(t, i)| (*t, i.to_string())).collect();
        let pages = vec![
            page(&[(30.0, "a"), (10.0, "c")]),
            page(&[(30.0, "b"), (20.0, "d"), (5.0, "e")]),
        ];
        assert_eq!(
            merge(pages.clone(), 0, 3),
            (vec!["b".into(), "a".into(), "d".into()], true)
        );
        assert_eq!(
            merge(pages.clone(), 3, 3),
            (vec!["c".into(), "e".into()], false)
        );
        assert_eq!(merge(pages, 0, 0), (vec![], true));
        assert_eq!(merge(vec![], 0, 10), (vec![], false));
    }
}
