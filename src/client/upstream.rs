//! A gateway tells what its upstream can make (`GET /capabilities`). The client asks once, and
//! from then on refuses what that upstream cannot make before sending it to the gateway, as it
//! does for the providers it talks to directly. The gateway still checks everything itself.

use std::cell::RefCell;
use std::rc::Rc;

use super::{Client, Timer, Transport};
use crate::error::Error;
use crate::model::{ExtendRequest, GenerateRequest, Issue};
use crate::provider::gateway::{UpstreamRules, DEFAULT_RESELLER_MODEL};
use crate::provider::{Body, ProviderKind};

/// Whether every upstream, as configured by default, would take it: then there is nothing to
/// ask, and the common request costs no extra round trip.
fn every_upstream_takes(takes: impl Fn(&UpstreamRules) -> bool) -> bool {
    UPSTREAMS
        .iter()
        .all(|&kind| takes(&UpstreamRules::new(kind, DEFAULT_RESELLER_MODEL)))
}

const UPSTREAMS: [ProviderKind; 5] = [
    ProviderKind::Luma,
    ProviderKind::LumaAgents,
    ProviderKind::Aimlapi,
    ProviderKind::Apiframe,
    ProviderKind::Gptge,
];

/// What this client knows of its gateway's upstream.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Upstream {
    #[default]
    Unasked,
    /// A question is out: other calls go on unchecked rather than wait for it.
    Asking,
    /// The answer; `None` when the gateway does not say (an older gateway, a garbled answer).
    Known(Option<UpstreamRules>),
}

impl<T: Transport, C: Timer> Client<T, C> {
    /// Shares what is known of the gateway's upstream with other clients of the same gateway.
    pub fn with_upstream(mut self, upstream: Rc<RefCell<Upstream>>) -> Self {
        self.upstream = upstream;
        self
    }

    pub(super) async fn check_generate(&self, req: &GenerateRequest) -> Result<(), Error> {
        self.check(|rules| rules.generate(req.clone()).err()).await
    }

    pub(super) async fn check_extend(&self, req: &ExtendRequest) -> Result<(), Error> {
        self.check(|rules| rules.extend(req.clone()).err()).await
    }

    /// `problems` under each upstream's rules; the gateway is asked which is its upstream only
    /// when they are not the same everywhere.
    async fn check(
        &self,
        problems: impl Fn(&UpstreamRules) -> Option<Vec<Issue>>,
    ) -> Result<(), Error> {
        // Only a gateway has an upstream to ask about; a provider checks its own rules.
        if self.provider.kind != ProviderKind::Gateway
            || every_upstream_takes(|rules| problems(rules).is_none())
        {
            return Ok(());
        }
        match self
            .upstream_rules()
            .await
            .and_then(|rules| problems(&rules))
        {
            Some(issues) => Err(Error::from_issues(self.provider.kind, issues)),
            None => Ok(()),
        }
    }

    /// The upstream's rules, asked for once. A failed question is asked again by a later call;
    /// a gateway that answers without them is not asked again.
    async fn upstream_rules(&self) -> Option<UpstreamRules> {
        let request = self.provider.capabilities_request()?;
        match &*self.upstream.borrow() {
            Upstream::Known(rules) => return rules.clone(),
            Upstream::Asking => return None,
            Upstream::Unasked => {}
        }
        *self.upstream.borrow_mut() = Upstream::Asking;
        let answer = match self.transport.send(request).await {
            Ok(r) if r.status == 200 => match &r.body {
                Body::Json(v) => Upstream::Known(UpstreamRules::from_value(v)),
                Body::Text(_) => Upstream::Known(None),
            },
            Ok(r) if r.status == 404 => Upstream::Known(None),
            _ => Upstream::Unasked,
        };
        let rules = match &answer {
            Upstream::Known(rules) => rules.clone(),
            _ => None,
        };
        *self.upstream.borrow_mut() = answer;
        rules
    }
}
