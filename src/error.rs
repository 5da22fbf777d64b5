use serde::Serialize;

use crate::model::{Generation, Issue, ProviderKind};

/// The stable error codes of the public contract; JS branches on these strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidRequest,
    Unsupported,
    Unauthorized,
    NotFound,
    RateLimited,
    ServerError,
    Network,
    Timeout,
    Aborted,
    GenerationFailed,
    BadResponse,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::Unsupported => "unsupported",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::NotFound => "not_found",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::ServerError => "server_error",
            ErrorCode::Network => "network",
            ErrorCode::Timeout => "timeout",
            ErrorCode::Aborted => "aborted",
            ErrorCode::GenerationFailed => "generation_failed",
            ErrorCode::BadResponse => "bad_response",
        }
    }
}

/// Every failure the library reports. `retryable` says whether trying the same call again later
/// may succeed; the client has already spent its own retries when it returns one.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Error {
    pub code: ErrorCode,
    pub message: String,
    pub provider: ProviderKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    pub retryable: bool,
    /// A create failed in a way that leaves the job's fate unknown (the connection dropped after
    /// sending, a 5xx, a garbled answer): the provider may have made, and billed, the job.
    /// Trying again could pay twice, so `retryable` is false.
    pub may_have_been_created: bool,
    /// Validation problems, every one of them, each naming its field and rule.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub issues: Vec<Issue>,
    /// The server's Retry-After, in milliseconds, when it sent one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
    /// The failed generation, for `generation_failed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generation: Option<Box<Generation>>,
}

impl Error {
    pub fn new(code: ErrorCode, provider: ProviderKind, message: impl Into<String>) -> Error {
        let retryable = matches!(
            code,
            ErrorCode::RateLimited
                | ErrorCode::ServerError
                | ErrorCode::Network
                | ErrorCode::Timeout
        );
        Error {
            code,
            message: message.into(),
            provider,
            status: None,
            retryable,
            may_have_been_created: false,
            issues: Vec::new(),
            retry_after_ms: None,
            generation: None,
        }
    }

    /// A validation failure: `unsupported` when any issue is a capability the provider lacks,
    /// else `invalid_request`. The message lists every issue.
    pub fn from_issues(provider: ProviderKind, issues: Vec<Issue>) -> Error {
        let code = if issues.iter().any(|i| i.rule == "unsupported") {
            ErrorCode::Unsupported
        } else {
            ErrorCode::InvalidRequest
        };
        let list: Vec<String> = issues
            .iter()
            .map(|i| format!("{}: {}", i.field, i.message))
            .collect();
        let mut e = Error::new(code, provider, list.join("; "));
        e.issues = issues;
        e
    }

    pub fn failed(generation: Generation) -> Error {
        let reason = generation
            .failure_reason
            .clone()
            .unwrap_or_else(|| "no reason given".into());
        let mut e = Error::new(
            ErrorCode::GenerationFailed,
            generation.provider,
            format!("generation {} failed: {reason}", generation.id),
        );
        e.generation = Some(Box::new(generation));
        e
    }

    pub fn with_status(mut self, status: u16) -> Error {
        self.status = Some(status);
        self
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}): {}",
            self.code.as_str(),
            self.provider.as_str(),
            self.message
        )
    }
}

impl std::error::Error for Error {}
