//! The async client: validation, the provider's wire format, one retry rule and the polling
//! schedule, over a [`Transport`] and a [`Timer`] the platform supplies. No I/O of its own.

mod learn;
mod race;
mod retry;
mod upstream;
mod wait;
mod wait_all;

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

pub use race::{race, Either};
pub use retry::{backoff_ms, retry_delay, retryable_status};
pub use upstream::Upstream;

use crate::error::{Error, ErrorCode};
use crate::model::{ExtendRequest, GenerateRequest, Generation, Issue, State};
use crate::poll::{retry_after_ms, JobKey, JobLengths, Rng};
use crate::provider::{GetManyCall, HttpRequest, HttpResponse, Provider};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportErrorKind {
    /// The request provably never reached the server (refused, DNS).
    Connect,
    Timeout,
    Aborted,
    /// Anything else: the request may have reached the server.
    Other,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TransportError {
    pub kind: TransportErrorKind,
    pub message: String,
}

/// Sends one HTTP request. No `Send` bound: browsers and workers are single-threaded.
#[allow(async_fn_in_trait)]
pub trait Transport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError>;
}

#[allow(async_fn_in_trait)]
pub trait Timer {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> u64;
    async fn sleep(&self, ms: u64);
}

#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// Retries of a transient failure, per request.
    pub max_retries: u32,
    /// Seeds retry and polling jitter.
    pub seed: u64,
    /// How long the provider's jobs usually take; the polling schedule plans around it.
    pub typical_job_ms: Option<u64>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            max_retries: 2,
            seed: 0x5eed,
            typical_job_ms: None,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct WaitOptions {
    /// Absolute deadline, in the timer's milliseconds.
    pub deadline_ms: Option<u64>,
    pub seed: Option<u64>,
}

/// Jobs created and not yet seen complete: when each create was answered, and its kind.
pub type Started = HashMap<String, (u64, JobKey)>;

/// Last known state per generation id, shared by the clients of one caller.
pub type Known = HashMap<String, State>;
/// Generations whose state a client remembers at most.
const KNOWN_MAX: usize = 10_000;

pub struct Client<T, C> {
    provider: Provider,
    transport: T,
    timer: C,
    options: ClientOptions,
    known: Rc<RefCell<Known>>,
    rng: RefCell<Rng>,
    /// How long jobs of each kind take, learned from the ones seen complete.
    lengths: Rc<RefCell<JobLengths>>,
    /// Jobs this client created: when the create was answered, and their kind.
    started: Rc<RefCell<Started>>,
    /// What a gateway said its upstream can make.
    upstream: Rc<RefCell<Upstream>>,
}

impl<T: Transport, C: Timer> Client<T, C> {
    pub fn new(provider: Provider, transport: T, timer: C, options: ClientOptions) -> Self {
        Self::with_known(provider, transport, timer, options, Rc::default())
    }

    /// A client sharing what `known` says about parents with other clients.
    pub fn with_known(
        provider: Provider,
        transport: T,
        timer: C,
        options: ClientOptions,
        known: Rc<RefCell<Known>>,
    ) -> Self {
        let rng = RefCell::new(Rng::new(options.seed));
        Client {
            provider,
            transport,
            timer,
            options,
            known,
            rng,
            lengths: Rc::default(),
            started: Rc::default(),
            upstream: Rc::default(),
        }
    }

    pub fn provider(&self) -> &Provider {
        &self.provider
    }

    pub async fn generate(&self, req: &GenerateRequest) -> Result<Generation, Error> {
        let http = self.provider.create(req)?;
        self.check_generate(req).await?;
        let g = self.create(self.idempotent(http)).await?;
        let key = JobKey::new(
            self.provider.kind,
            req.model.as_deref(),
            req.resolution.as_deref(),
            req.duration.as_deref(),
            false,
        );
        self.started(&g.id, key);
        Ok(g)
    }

    /// Refuses locally to extend a parent this client has seen failed. An unfinished one may
    /// have completed since (a webhook, another client), so the provider decides.
    pub async fn extend(&self, req: &ExtendRequest) -> Result<Generation, Error> {
        let http = self.provider.extend(req)?;
        let parent = self.known.borrow().get(&req.generation_id).copied();
        if let Some(state) = parent.filter(|s| *s == State::Failed) {
            let issue = Issue {
                field: "generationId".into(),
                rule: "parent_state".into(),
                message: format!(
                    "only a completed generation can be extended; this one is {state}"
                ),
            };
            return Err(Error::from_issues(self.provider.kind, vec![issue]));
        }
        self.check_extend(req).await?;
        let g = self.create(self.idempotent(http)).await?;
        let key = JobKey::new(self.provider.kind, req.model.as_deref(), None, None, true);
        self.started(&g.id, key);
        Ok(g)
    }

    /// A gateway honours `Idempotency-Key`: one key per create call, sent on every attempt,
    /// makes the create safe to retry like a read (the gateway makes the job once).
    fn idempotent(&self, mut http: HttpRequest) -> HttpRequest {
        if self.provider.kind == crate::model::ProviderKind::Gateway {
            let mut rng = self.rng.borrow_mut();
            let mut half = || (rng.next_f64() * (1u64 << 53) as f64) as u64;
            let key = format!("le-{:014x}{:014x}", half(), half());
            http.headers.push((IDEMPOTENCY_KEY.to_string(), key));
        }
        http
    }

    /// Sends a create. When its fate is unknown (the answer was lost or garbled) and the
    /// protocol can list recent generations, looks for the one it made, so that neither a
    /// duplicate nor an orphan results.
    async fn create(&self, http: HttpRequest) -> Result<Generation, Error> {
        let body = http.body.clone();
        let keyed = http.header(IDEMPOTENCY_KEY).is_some();
        let mut attempt = 0;
        let err = loop {
            match self.fetch_one(http.clone()).await {
                Ok(g) => return Ok(g),
                // With its key, the same create makes the same job: a garbled answer is asked
                // again, as a read would be.
                Err(e)
                    if keyed
                        && e.code == ErrorCode::BadResponse
                        && attempt < self.options.max_retries =>
                {
                    let jitter = self.rng.borrow_mut().next_f64();
                    self.timer.sleep(backoff_ms(attempt, jitter)).await;
                    attempt += 1;
                }
                Err(e) => break e,
            }
        };
        // A refused connection sent nothing: there is nothing to look for.
        let nothing_sent = err.code == ErrorCode::Network && !err.may_have_been_created;
        let unknown_fate = !nothing_sent
            && matches!(
                err.code,
                ErrorCode::Network
                    | ErrorCode::Timeout
                    | ErrorCode::BadResponse
                    | ErrorCode::ServerError
            );
        let err = match (unknown_fate, self.provider.list_recent(0).is_some(), body) {
            (true, true, Some(sent)) => match self.reconcile(&sent).await {
                Some(found) => return found,
                None => err,
            },
            _ => err,
        };
        Err(ambiguous_create(err))
    }

    /// A recent generation whose echoed request is exactly `sent` and that no answer has shown
    /// this client yet.
    async fn reconcile(&self, sent: &crate::model::Value) -> Option<Result<Generation, Error>> {
        for page in 0..crate::provider::RECONCILE_PAGES {
            let listed = self.list_page(page).await?;
            let last_page = listed.len() < crate::provider::RECONCILE_PAGE as usize;
            let found = listed.into_iter().find(|g| {
                g.raw.get("request") == Some(sent) && !self.known.borrow().contains_key(&g.id)
            });
            if let Some(found) = found {
                self.remember(&found);
                return Some(Ok(found));
            }
            if last_page {
                break;
            }
        }
        None
    }

    /// One page of recent generations; a garbled answer is asked again, as reads may be.
    async fn list_page(&self, page: u32) -> Option<Vec<Generation>> {
        for _ in 0..=self.options.max_retries {
            let resp = self.send(self.provider.list_recent(page)?).await.ok()?;
            if let Ok(listed) = self.provider.parse_many(&resp) {
                return Some(listed);
            }
        }
        None
    }

    pub async fn get(&self, id: &str) -> Result<Generation, Error> {
        self.fetch_one(self.provider.get(id, None)).await
    }

    /// The generations in the order of `ids`, through batch calls where the protocol has them.
    pub async fn get_many(&self, ids: &[String]) -> Result<Vec<Generation>, Error> {
        let mut found: HashMap<String, Generation> = HashMap::new();
        for call in self.provider.get_many(ids) {
            match call {
                GetManyCall::Single { request, .. } => {
                    let g = self.fetch_one(request).await?;
                    found.insert(g.id.clone(), g);
                }
                GetManyCall::Batch { request, .. } => {
                    for g in self.fetch_batch(request).await? {
                        found.insert(g.id.clone(), g);
                    }
                }
            }
        }
        ids.iter()
            .map(|id| {
                found.get(id).cloned().ok_or_else(|| {
                    Error::new(
                        ErrorCode::NotFound,
                        self.provider.kind,
                        format!("generation {id} was not in the answer"),
                    )
                })
            })
            .collect()
    }

    /// A page of generations, newest first (luma and the gateway; `unsupported` elsewhere).
    pub async fn list(&self, limit: u32, offset: u32) -> Result<Vec<Generation>, Error> {
        self.fetch_batch(self.provider.list(limit, offset)?).await
    }

    /// Deletes a generation (luma and the gateway; `unsupported` elsewhere).
    pub async fn delete(&self, id: &str) -> Result<(), Error> {
        let resp = self.send(self.provider.delete(id)?).await?;
        self.provider
            .parse_deleted(&resp)
            .map_err(|e| with_retry_after(e, &resp, self.timer.now_ms()))?;
        self.known.borrow_mut().remove(id);
        Ok(())
    }

    fn remember(&self, g: &Generation) {
        let mut known = self.known.borrow_mut();
        if known.len() >= KNOWN_MAX && !known.contains_key(&g.id) {
            // A client that lives for millions of jobs (a server's, the gateway's) keeps flat
            // memory: ended jobs go first; a forgotten id is only asked about again.
            known.retain(|_, s| !s.is_terminal());
            if known.len() >= KNOWN_MAX {
                known.clear();
            }
        }
        let state = known.get(&g.id).map_or(g.state, |s| s.advance(g.state));
        known.insert(g.id.clone(), state);
    }

    /// One batch get, its generations remembered.
    async fn fetch_batch(&self, request: HttpRequest) -> Result<Vec<Generation>, Error> {
        let resp = self.send(request).await?;
        let listed = self
            .provider
            .parse_many(&resp)
            .map_err(|e| with_retry_after(e, &resp, self.timer.now_ms()))?;
        for g in &listed {
            self.remember(g);
        }
        Ok(listed)
    }

    async fn fetch_one(&self, request: HttpRequest) -> Result<Generation, Error> {
        let resp = self.send(request).await?;
        let g = self
            .provider
            .parse_generation(&resp)
            .map_err(|e| with_retry_after(e, &resp, self.timer.now_ms()))?;
        self.remember(&g);
        Ok(g)
    }

    /// Sends with the retry rule. Non-2xx answers come back as they are, for the parser.
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, Error> {
        let billable = request.is_billable();
        let retry_as_read = !billable || request.header(IDEMPOTENCY_KEY).is_some();
        let mut attempt = 0;
        loop {
            let outcome = self.transport.send(request.clone()).await;
            let jitter = self.rng.borrow_mut().next_f64();
            match retry_delay(
                &outcome,
                !retry_as_read,
                attempt,
                self.options.max_retries,
                self.timer.now_ms(),
                jitter,
            ) {
                Some(ms) => {
                    self.timer.sleep(ms).await;
                    attempt += 1;
                }
                None => return outcome.map_err(|e| self.transport_error(e, billable)),
            }
        }
    }

    fn transport_error(&self, e: TransportError, billable: bool) -> Error {
        let code = match e.kind {
            TransportErrorKind::Connect | TransportErrorKind::Other => ErrorCode::Network,
            TransportErrorKind::Timeout => ErrorCode::Timeout,
            TransportErrorKind::Aborted => ErrorCode::Aborted,
        };
        let maybe_sent =
            billable && e.kind != TransportErrorKind::Connect && code != ErrorCode::Aborted;
        let err = Error::new(code, self.provider.kind, e.message);
        if maybe_sent {
            maybe_created(err)
        } else {
            err
        }
    }
}

/// A create answered with an error status other than 429 (a 5xx, 408) may have made the job
/// anyway: trying again could pay twice, so the error is not retryable and says why.
fn ambiguous_create(err: Error) -> Error {
    let garbled = err.code == ErrorCode::BadResponse;
    if garbled || (err.retryable && err.status.is_some_and(|s| s != 429)) {
        maybe_created(err)
    } else {
        err
    }
}

/// Retrying could pay twice: the server may have created the generation already.
fn maybe_created(mut err: Error) -> Error {
    if !err.may_have_been_created {
        err.may_have_been_created = true;
        err.retryable = false;
        err.message.push_str(MAYBE_CREATED);
    }
    err
}

pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// Said of a create whose fate is unknown; `may_have_been_created` says it to code.
const MAYBE_CREATED: &str = " (the create may have reached the server)";

fn with_retry_after(mut e: Error, resp: &HttpResponse, now_ms: u64) -> Error {
    e.retry_after_ms =
        retry_after_ms(&resp.headers, now_ms).map(|ms| ms.min(retry::MAX_RETRY_AFTER_MS));
    e
}
