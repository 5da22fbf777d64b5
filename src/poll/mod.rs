//! The polling schedule (placeholder until the schedule lands).
