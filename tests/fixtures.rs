//! Every provider's requests and responses against the fixtures in tests/fixtures/<provider>/:
//! built requests must equal the fixture in meaning (parsed JSON), every response must parse.

use std::fs;
use std::path::{Path, PathBuf};

use luma_extend::provider::{GetManyCall, HttpRequest, HttpResponse};
use luma_extend::{ExtendRequest, GenerateRequest, Provider, ProviderKind, State};
use serde_json::Value;

const GATEWAY_BASE: &str = "https://gateway.example.com/dream-machine/v1";

fn provider(kind: ProviderKind) -> Provider {
    let base = (kind == ProviderKind::Gateway).then_some(GATEWAY_BASE);
    Provider::new(kind, "my_key", base)
}

fn cases(kind: ProviderKind, sub: &str) -> Vec<(PathBuf, Value)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(kind.as_str())
        .join(sub);
    let mut out: Vec<(PathBuf, Value)> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .map(|p| {
            let v = serde_json::from_str(&fs::read_to_string(&p).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p, v)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(!out.is_empty(), "no fixtures in {}", dir.display());
    out
}

fn assert_request(name: &str, built: &HttpRequest, want: &Value) {
    assert_eq!(built.method.as_str(), want["method"], "{name}: method");
    assert_eq!(built.url, want["url"].as_str().unwrap(), "{name}: url");
    for (k, v) in want["headers"].as_object().unwrap() {
        assert_eq!(built.header(k), v.as_str(), "{name}: header {k}");
    }
    assert_eq!(
        serde_json::to_value(&built.body).unwrap(),
        want["body"],
        "{name}: body"
    );
}

fn build(p: &Provider, op: &str, input: &Value) -> Result<Vec<HttpRequest>, luma_extend::Error> {
    Ok(match op {
        "generate" => {
            vec![p.create(&serde_json::from_value::<GenerateRequest>(input.clone()).unwrap())?]
        }
        "extend" => {
            vec![p.extend(&serde_json::from_value::<ExtendRequest>(input.clone()).unwrap())?]
        }
        "get" => {
            let wait: Option<State> = serde_json::from_value(input["waitFor"].clone()).unwrap();
            vec![p.get(input["id"].as_str().unwrap(), wait)]
        }
        "getMany" => {
            let ids: Vec<String> = serde_json::from_value(input["ids"].clone()).unwrap();
            p.get_many(&ids)
                .into_iter()
                .map(|c| match c {
                    GetManyCall::Batch { request, .. } | GetManyCall::Single { request, .. } => {
                        request
                    }
                })
                .collect()
        }
        other => panic!("unknown op {other}"),
    })
}

fn check_requests(kind: ProviderKind) {
    let p = provider(kind);
    for (path, case) in cases(kind, "requests") {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let built = build(&p, case["op"].as_str().unwrap(), &case["input"]);
        if let Some(want_err) = case.get("error") {
            let err = built.expect_err(&format!("{name}: expected a validation error"));
            assert_eq!(err.code.as_str(), want_err["code"], "{name}: code ({err})");
            let mut got: Vec<(String, String)> = err
                .issues
                .iter()
                .map(|i| (i.field.clone(), i.rule.clone()))
                .collect();
            let mut want: Vec<(String, String)> = want_err["issues"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| {
                    (
                        i["field"].as_str().unwrap().into(),
                        i["rule"].as_str().unwrap().into(),
                    )
                })
                .collect();
            got.sort();
            want.sort();
            assert_eq!(got, want, "{name}: issues ({err})");
            assert!(err.issues.iter().all(|i| !i.message.is_empty()));
            continue;
        }
        let built = built.unwrap_or_else(|e| panic!("{name}: {e}"));
        let wants: Vec<Value> = match case.get("requests") {
            Some(list) => list.as_array().unwrap().clone(),
            None => vec![case["request"].clone()],
        };
        assert_eq!(built.len(), wants.len(), "{name}: number of requests");
        for (b, w) in built.iter().zip(&wants) {
            assert_request(&name, b, w);
        }
    }
}

fn response(case: &Value) -> HttpResponse {
    HttpResponse::new(
        case["status"].as_u64().unwrap() as u16,
        serde_json::to_vec(&case["body"]).unwrap(),
    )
}

fn assert_generation(name: &str, got: &Value, want: &Value) {
    for (k, v) in want.as_object().unwrap() {
        if k == "rawState" {
            assert_eq!(&got["raw"]["state"], v, "{name}: raw.state");
        } else {
            assert_eq!(&got[k], v, "{name}: {k} in {got}");
        }
    }
    assert!(got["raw"].is_object(), "{name}: raw kept");
}

fn check_responses(kind: ProviderKind) {
    let p = provider(kind);
    for (path, case) in cases(kind, "responses") {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let resp = response(&case);
        let expect = &case["expect"];
        match case["op"].as_str().unwrap() {
            "generation" => {
                let g = p
                    .parse_generation(&resp)
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(g.provider, kind);
                assert_eq!(
                    serde_json::to_value(&g.raw).unwrap(),
                    case["body"],
                    "{name}: raw is the provider's JSON untouched"
                );
                assert_generation(&name, &serde_json::to_value(&g).unwrap(), expect);
            }
            "many" => {
                let gs = p
                    .parse_many(&resp)
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                let want = expect.as_array().unwrap();
                assert_eq!(gs.len(), want.len(), "{name}: count");
                for (g, w) in gs.iter().zip(want) {
                    assert_generation(&name, &serde_json::to_value(g).unwrap(), w);
                }
            }
            "error" => {
                let err = p.parse_generation(&resp).expect_err(&name);
                assert_eq!(err.code.as_str(), expect["code"], "{name}: {err}");
                assert_eq!(err.status, Some(resp.status));
                if let Some(m) = expect.get("message") {
                    assert_eq!(err.message, m.as_str().unwrap(), "{name}");
                }
                if let Some(m) = expect.get("messageContains") {
                    assert!(
                        err.message.contains(m.as_str().unwrap()),
                        "{name}: {}",
                        err.message
                    );
                }
            }
            other => panic!("{name}: unknown op {other}"),
        }
    }
}

macro_rules! provider_tests {
    ($($module:ident => $kind:expr),*) => {$(
        mod $module {
            #[test]
            fn requests_match_fixtures() { super::check_requests($kind) }
            #[test]
            fn responses_parse() { super::check_responses($kind) }
        }
    )*};
}

provider_tests!(
    luma => luma_extend::ProviderKind::Luma,
    aimlapi => luma_extend::ProviderKind::Aimlapi,
    apiframe => luma_extend::ProviderKind::Apiframe,
    gptge => luma_extend::ProviderKind::Gptge,
    gateway => luma_extend::ProviderKind::Gateway
);

#[test]
fn ids_are_kept_byte_for_byte() {
    let odd = "Ab:9/ä ?x=1&y";
    for kind in ProviderKind::ALL {
        let p = provider(kind);
        let body = match kind {
            ProviderKind::Apiframe => serde_json::json!({ "task_id": odd, "status": "processing" }),
            _ => serde_json::json!({ "id": odd, "state": "dreaming" }),
        };
        let g = p
            .parse_generation(&HttpResponse::new(200, body.to_string()))
            .unwrap();
        assert_eq!(g.id, odd, "{kind:?}");
        // Path components are percent-encoded, so the id survives the trip to the server.
        let url = p.get(odd, None).url;
        assert!(!url.contains(' ') && !url.contains('ä'), "{url}");
    }
}
