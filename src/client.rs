//! The async client (placeholder until it lands).
