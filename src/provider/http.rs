use serde::{Deserialize, Serialize};

use crate::model::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    Get,
    Post,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }
}

/// An HTTP request as plain data, ready for any transport.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HttpRequest {
    pub method: Method,
    /// Absolute URL, query included.
    pub url: String,
    pub headers: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
}

impl HttpRequest {
    pub fn new(method: Method, url: String, auth: String) -> HttpRequest {
        let mut headers = vec![("authorization".to_string(), auth)];
        headers.push(("accept".to_string(), "application/json".to_string()));
        HttpRequest {
            method,
            url,
            headers,
            body: None,
        }
    }

    pub fn json(mut self, body: Value) -> HttpRequest {
        self.headers
            .push(("content-type".to_string(), "application/json".to_string()));
        self.body = Some(body);
        self
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// Whether sending this request may spend the caller's credits.
    pub fn is_billable(&self) -> bool {
        self.method == Method::Post
            && !self.url.ends_with("/fetch")
            && !self.url.ends_with("/fetch-many")
    }
}

/// An answer's body as the transport read it: JSON already parsed (by the JS engine in the
/// browser, by serde_json natively), or the text of anything that was not JSON.
#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    Json(Value),
    Text(String),
}

impl Default for Body {
    fn default() -> Body {
        Body::Text(String::new())
    }
}

impl Body {
    pub fn json(&self) -> Option<&Value> {
        match self {
            Body::Json(v) => Some(v),
            Body::Text(_) => None,
        }
    }

    /// JSON text parsed where a parser is built in; anything else is kept as text.
    #[cfg(any(not(target_arch = "wasm32"), feature = "gateway"))]
    pub fn from_bytes(bytes: &[u8]) -> Body {
        match crate::model::json::parse(bytes) {
            Ok(v) => Body::Json(v),
            Err(_) => Body::Text(String::from_utf8_lossy(bytes).into_owned()),
        }
    }
}

/// An HTTP answer as plain data. Parsers must cope with any body.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

impl HttpResponse {
    /// An answer whose body is JSON text (or, when it is not JSON, kept as text).
    #[cfg(any(not(target_arch = "wasm32"), feature = "gateway"))]
    pub fn new(status: u16, body: impl AsRef<[u8]>) -> HttpResponse {
        HttpResponse::with_body(status, Body::from_bytes(body.as_ref()))
    }

    pub fn with_body(status: u16, body: Body) -> HttpResponse {
        HttpResponse {
            status,
            headers: Vec::new(),
            body,
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> HttpResponse {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Percent-encodes a query or path component (RFC 3986 unreserved characters pass through).
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
