//! Webhook signing and verification (placeholder until it lands).
