//! Each provider's wire protocol as plain data: requests are built as [`HttpRequest`] values and
//! answers are parsed from [`HttpResponse`] values. No I/O happens here.

pub mod aimlapi;
pub mod apiframe;
mod body;
pub mod gateway;
pub mod gptge;
mod http;
pub mod luma;
pub mod luma_agents;
mod parse;

pub use crate::model::ProviderKind;
pub use http::{Body, HttpRequest, HttpResponse, Method};

use crate::error::{Error, ErrorCode};
use crate::model::{
    validate_extend, validate_generate, ExtendRequest, GenerateRequest, Generation, Issue, State,
};

/// Where each protocol lives and what it can express.
impl ProviderKind {
    pub fn default_base_url(self) -> &'static str {
        match self {
            ProviderKind::Luma => luma::BASE_URL,
            ProviderKind::LumaAgents => luma_agents::BASE_URL,
            ProviderKind::Aimlapi => aimlapi::BASE_URL,
            ProviderKind::Apiframe => apiframe::BASE_URL,
            ProviderKind::Gptge => gptge::BASE_URL,
            // A gateway is always the caller's own deployment.
            ProviderKind::Gateway => "",
        }
    }

    pub fn capabilities(self) -> Capabilities {
        match self {
            ProviderKind::Luma => luma::CAPABILITIES,
            ProviderKind::LumaAgents => luma_agents::CAPABILITIES,
            ProviderKind::Aimlapi => aimlapi::CAPABILITIES,
            ProviderKind::Apiframe => apiframe::CAPABILITIES,
            ProviderKind::Gptge => gptge::CAPABILITIES,
            ProviderKind::Gateway => gateway::CAPABILITIES,
        }
    }
}

/// What a protocol can express; asking for anything else is `unsupported` before sending.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capabilities {
    pub backward: bool,
    /// A generation keyframe on both ends (bridge two videos).
    pub interpolate: bool,
    /// Generation keyframes in a plain generate request (luma-style keyframes).
    pub generation_keyframes: bool,
    /// Extending towards an image (end frame forward, start frame backward).
    pub image_extend: bool,
    pub loop_on_extend: bool,
    pub data_urls: bool,
    /// Inclusive prompt length bounds in characters, where the protocol has them.
    pub prompt_len: Option<(usize, usize)>,
    /// Whether a prompt is required even when an image keyframe is given.
    pub prompt_always_required: bool,
    pub long_poll: bool,
    /// Whether the protocol can call a URL back when a job changes state.
    pub callbacks: bool,
    /// Luma's camera `concepts` on a create.
    pub concepts: bool,
    /// Ids per batch get, where the protocol has one: (min, max).
    pub batch: Option<(usize, usize)>,
}

/// How a get-many is sent: batch calls where the protocol has them, single gets otherwise.
#[derive(Clone, Debug, PartialEq)]
pub enum GetManyCall {
    Batch {
        ids: Vec<String>,
        request: HttpRequest,
    },
    Single {
        id: String,
        request: HttpRequest,
    },
}

/// A configured provider: which protocol, where, and with which key.
#[derive(Clone, Debug, PartialEq)]
pub struct Provider {
    pub kind: ProviderKind,
    pub base_url: String,
    api_key: String,
}

impl Provider {
    pub fn new(kind: ProviderKind, api_key: impl Into<String>, base_url: Option<&str>) -> Provider {
        let base = base_url.unwrap_or(kind.default_base_url());
        Provider {
            kind,
            base_url: base.trim_end_matches('/').to_string(),
            api_key: api_key.into(),
        }
    }

    pub fn capabilities(&self) -> Capabilities {
        self.kind.capabilities()
    }

    pub fn validate_generate(&self, req: &GenerateRequest) -> Result<(), Error> {
        let issues = validate_generate(req, self.kind);
        if issues.is_empty() {
            Ok(())
        } else {
            Err(Error::from_issues(self.kind, issues))
        }
    }

    pub fn validate_extend(&self, req: &ExtendRequest) -> Result<(), Error> {
        let issues = validate_extend(req, self.kind);
        if issues.is_empty() {
            Ok(())
        } else {
            Err(Error::from_issues(self.kind, issues))
        }
    }

    /// Where a gateway tells what its upstream can make; `None` for the providers themselves.
    pub fn capabilities_request(&self) -> Option<HttpRequest> {
        (self.kind == ProviderKind::Gateway)
            .then(|| gateway::capabilities_request(&self.base_url, &self.api_key))
    }

    /// Validates, then builds the create call.
    pub fn create(&self, req: &GenerateRequest) -> Result<HttpRequest, Error> {
        self.validate_generate(req)?;
        let (b, k) = (self.base_url.as_str(), self.api_key.as_str());
        Ok(match self.kind {
            ProviderKind::Luma => luma::create(b, k, req),
            ProviderKind::Gateway => gateway::create(b, k, req),
            ProviderKind::LumaAgents => luma_agents::create(b, k, req),
            ProviderKind::Aimlapi => aimlapi::create(b, k, req),
            ProviderKind::Apiframe => apiframe::create(b, k, req),
            ProviderKind::Gptge => gptge::create(b, k, req),
        })
    }

    /// Validates, then builds the extend call.
    pub fn extend(&self, req: &ExtendRequest) -> Result<HttpRequest, Error> {
        self.validate_extend(req)?;
        let (b, k) = (self.base_url.as_str(), self.api_key.as_str());
        Ok(match self.kind {
            ProviderKind::Luma => luma::extend(b, k, req),
            ProviderKind::Gateway => gateway::extend(b, k, req),
            ProviderKind::LumaAgents => luma_agents::extend(b, k, req),
            ProviderKind::Aimlapi => aimlapi::extend(b, k, req),
            ProviderKind::Apiframe => apiframe::extend(b, k, req),
            ProviderKind::Gptge => gptge::extend(b, k, req),
        })
    }

    /// A single get. `wait_for` asks a long-poll protocol to hold the answer until that state
    /// (or a later one); protocols without long-poll ignore it.
    pub fn get(&self, id: &str, wait_for: Option<State>) -> HttpRequest {
        let (b, k) = (self.base_url.as_str(), self.api_key.as_str());
        match self.kind {
            ProviderKind::Luma => luma::get(b, k, id),
            ProviderKind::LumaAgents => luma_agents::get(b, k, id),
            ProviderKind::Aimlapi => aimlapi::get(b, k, id, wait_for),
            ProviderKind::Apiframe => apiframe::get(b, k, id),
            ProviderKind::Gptge => gptge::get(b, k, id),
            ProviderKind::Gateway => gateway::get(b, k, id, wait_for),
        }
    }

    /// A page of the most recent generations, where the protocol can list them (luma and the
    /// gateway); used to find a generation whose create answer was lost.
    pub fn list_recent(&self, page: u32) -> Option<HttpRequest> {
        self.list(RECONCILE_PAGE, page * RECONCILE_PAGE).ok()
    }

    /// A page of generations, newest first, where the protocol lists them (luma and the
    /// gateway); `unsupported` elsewhere, before anything is sent.
    pub fn list(&self, limit: u32, offset: u32) -> Result<HttpRequest, Error> {
        let (b, k) = (self.base_url.as_str(), self.api_key.as_str());
        match self.kind {
            ProviderKind::Luma | ProviderKind::Gateway => Ok(luma::list(b, k, limit, offset)),
            _ => Err(self.unsupported("list")),
        }
    }

    /// Deletes a generation, where the protocol can (luma and the gateway).
    pub fn delete(&self, id: &str) -> Result<HttpRequest, Error> {
        let (b, k) = (self.base_url.as_str(), self.api_key.as_str());
        match self.kind {
            ProviderKind::Luma | ProviderKind::Gateway => Ok(luma::delete(b, k, id)),
            _ => Err(self.unsupported("delete")),
        }
    }

    /// The answer to a delete: any 2xx is done.
    pub fn parse_deleted(&self, resp: &HttpResponse) -> Result<(), Error> {
        if resp.is_success() {
            Ok(())
        } else {
            Err(self.parse_error(resp))
        }
    }

    fn unsupported(&self, call: &str) -> Error {
        let issue = Issue {
            field: call.into(),
            rule: "unsupported".into(),
            message: format!("{} has no {call} call", self.kind.as_str()),
        };
        Error::from_issues(self.kind, vec![issue])
    }

    /// The calls that fetch `ids`: batches split at the protocol's limit, single gets where it
    /// has no batch call (or a leftover is below the batch minimum).
    pub fn get_many(&self, ids: &[String]) -> Vec<GetManyCall> {
        let Some((min, max)) = self.capabilities().batch else {
            return ids.iter().map(|id| self.single(id)).collect();
        };
        ids.chunks(max.max(1))
            .flat_map(|chunk| {
                if chunk.len() < min {
                    chunk.iter().map(|id| self.single(id)).collect::<Vec<_>>()
                } else {
                    vec![GetManyCall::Batch {
                        ids: chunk.to_vec(),
                        request: self.batch_get(chunk),
                    }]
                }
            })
            .collect()
    }

    fn single(&self, id: &str) -> GetManyCall {
        GetManyCall::Single {
            id: id.to_string(),
            request: self.get(id, None),
        }
    }

    fn batch_get(&self, ids: &[String]) -> HttpRequest {
        let (b, k) = (self.base_url.as_str(), self.api_key.as_str());
        match self.kind {
            ProviderKind::Aimlapi => aimlapi::get_many(b, k, ids),
            ProviderKind::Apiframe => apiframe::get_many(b, k, ids),
            _ => gateway::get_many(b, k, ids),
        }
    }

    /// Parses the answer to a create, extend or get. Non-2xx answers become typed errors.
    pub fn parse_generation(&self, resp: &HttpResponse) -> Result<Generation, Error> {
        if !resp.is_success() {
            return Err(self.parse_error(resp));
        }
        let value = parse::json_body(self.kind, resp)?;
        let parsed = match self.kind {
            ProviderKind::Luma | ProviderKind::Aimlapi => luma::generation(self.kind, value),
            ProviderKind::LumaAgents => luma_agents::generation(value),
            ProviderKind::Apiframe => apiframe::generation(value),
            ProviderKind::Gptge => gptge::generation(value),
            ProviderKind::Gateway => gateway::generation(value),
        };
        parsed.map_err(|m| parse::bad_response(self.kind, resp, m))
    }

    /// Parses the answer to a batch get.
    pub fn parse_many(&self, resp: &HttpResponse) -> Result<Vec<Generation>, Error> {
        if !resp.is_success() {
            return Err(self.parse_error(resp));
        }
        let value = parse::json_body(self.kind, resp)?;
        let parsed = match self.kind {
            ProviderKind::Apiframe => apiframe::generations(value),
            ProviderKind::Luma | ProviderKind::Aimlapi => luma::generations(self.kind, value),
            ProviderKind::Gateway => gateway::generations(value),
            ProviderKind::Gptge | ProviderKind::LumaAgents => {
                Err(format!("{} has no batch get", self.kind.as_str()))
            }
        };
        parsed.map_err(|m| parse::bad_response(self.kind, resp, m))
    }

    /// A non-2xx answer as a typed error with the provider's own message.
    pub fn parse_error(&self, resp: &HttpResponse) -> Error {
        let message = match self.kind {
            ProviderKind::Luma | ProviderKind::Gptge | ProviderKind::Gateway => {
                luma::error_message(&resp.body)
            }
            ProviderKind::Aimlapi => aimlapi::error_message(&resp.body),
            ProviderKind::Apiframe => apiframe::error_message(&resp.body),
            ProviderKind::LumaAgents => return luma_agents::error(resp),
        };
        parse::status_error(self.kind, resp, message)
    }
}

/// Generations per page when looking for a lost create; busy callers create many at once.
pub const RECONCILE_PAGE: u32 = 50;
/// Pages searched at most.
pub const RECONCILE_PAGES: u32 = 4;

/// Whether a status is worth another try, later: timeouts, conflicts (a concurrent change
/// settled), rate limits, server errors. The one rule, used by the retry loop and by errors.
pub fn retryable_status(status: u16) -> bool {
    matches!(status, 408 | 409 | 429 | 500..=599)
}

/// Maps an HTTP status to the contract's error code.
pub fn code_for_status(status: u16) -> ErrorCode {
    match status {
        400 | 405 | 409 | 413 | 415 | 422 => ErrorCode::InvalidRequest,
        401 | 403 => ErrorCode::Unauthorized,
        404 | 410 => ErrorCode::NotFound,
        408 => ErrorCode::Timeout,
        429 => ErrorCode::RateLimited,
        500..=599 => ErrorCode::ServerError,
        _ => ErrorCode::BadResponse,
    }
}
