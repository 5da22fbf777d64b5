//! Our client, natively, against the emulator's Agents API on a real loopback port: generate,
//! extend forward, backward and to an image, interpolate, wait, get_many, and every failure code
//! surfacing as `generation_failed` with its meaning. (The JS client's runs: tests/wasm.rs.)

mod scripted;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use luma_extend::client::{Client, ClientOptions, Timer, Transport, TransportError};
use luma_extend::client::{TransportErrorKind, WaitOptions};
use luma_extend::provider::{HttpRequest, HttpResponse};
use luma_extend::{
    Direction, ErrorCode, ExtendRequest, GenerateRequest, Generation, Keyframe, Keyframes,
    Provider, ProviderKind, State,
};
use scripted::block_on;

/// One emulator for the whole file (jobs of 300 ms), served from its own thread.
fn emulator() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let options = luma_emulator::Options {
                    job_ms: Some(300),
                    ..Default::default()
                };
                let (addr, served) = luma_emulator::serve(options).await.unwrap();
                tx.send(format!("http://{addr}")).unwrap();
                let _ = served.await;
            });
        });
        rx.recv().unwrap()
    })
}

/// Status, headers and body bytes.
type Answer = (u16, Vec<(String, String)>, Vec<u8>);

/// Plain blocking HTTP/1.1, one connection per request.
fn fetch(req: &HttpRequest) -> std::io::Result<Answer> {
    let rest = req.url.strip_prefix("http://").expect("a loopback URL");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let body = req.body.as_ref().map(|b| b.to_string()).unwrap_or_default();
    let method = req.method.as_str();
    let mut head = format!("{method} {path} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n");
    for (k, v) in &req.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!("content-length: {}\r\n\r\n{body}", body.len()));
    let mut s = TcpStream::connect(host)?;
    s.write_all(head.as_bytes())?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a head");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Ok((status, headers, raw[split + 4..].to_vec()))
}

struct Http;

impl Transport for Http {
    async fn send(&self, req: HttpRequest) -> Result<HttpResponse, TransportError> {
        let (status, headers, body) = fetch(&req).map_err(|e| TransportError {
            kind: TransportErrorKind::Other,
            message: e.to_string(),
        })?;
        let mut resp = HttpResponse::new(status, body);
        resp.headers = headers;
        Ok(resp)
    }
}

/// The wall clock; sleeping blocks the thread, which is all a single-threaded test needs.
struct Wall;

impl Timer for Wall {
    fn now_ms(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64
    }
    async fn sleep(&self, ms: u64) {
        std::thread::sleep(Duration::from_millis(ms));
    }
}

fn client() -> Client<Http, Wall> {
    let base = format!("{}/v1", emulator());
    let options = ClientOptions {
        typical_job_ms: Some(300),
        ..ClientOptions::default()
    };
    Client::new(
        Provider::new(ProviderKind::LumaAgents, "test-key", Some(&base)),
        Http,
        Wall,
        options,
    )
}

fn generate(
    c: &Client<Http, Wall>,
    req: GenerateRequest,
) -> Result<Generation, luma_extend::Error> {
    block_on(async {
        let g = c.generate(&req).await?;
        c.wait(&g.id, WaitOptions::default(), &mut |_| {}).await
    })
}

fn extend(c: &Client<Http, Wall>, req: ExtendRequest) -> Generation {
    block_on(async {
        let g = c.extend(&req).await.unwrap();
        c.wait(&g.id, WaitOptions::default(), &mut |_| {})
            .await
            .unwrap()
    })
}

fn prompt(p: &str) -> GenerateRequest {
    GenerateRequest {
        prompt: Some(p.into()),
        ..GenerateRequest::default()
    }
}

/// Seconds of the MP4 at `url`, from its `mvhd` box.
fn seconds(url: &str) -> f64 {
    let get = HttpRequest::new(
        luma_extend::provider::Method::Get,
        url.into(),
        String::new(),
    );
    let (status, _, bytes) = fetch(&get).unwrap();
    assert_eq!(status, 200, "{url}");
    let at = bytes.windows(4).position(|w| w == b"mvhd").unwrap();
    let word = |o: usize| u32::from_be_bytes(bytes[at + o..at + o + 4].try_into().unwrap());
    f64::from(word(20)) / f64::from(word(16))
}

fn frames(frame0: Option<Keyframe>, frame1: Option<Keyframe>) -> Option<Keyframes> {
    Some(Keyframes { frame0, frame1 })
}

#[test]
fn generate_then_extend_every_way_and_the_videos_grow() {
    let c = client();
    let parent = generate(&c, prompt("A jellyfish in the ocean")).unwrap();
    assert_eq!(
        (parent.state, parent.provider),
        (State::Completed, ProviderKind::LumaAgents)
    );
    let one = seconds(parent.video_url.as_deref().unwrap());
    assert!((one - 1.0).abs() < 0.01, "{one}");
    let image = Some("https://example.com/end.jpg".to_string());
    let ext = |direction, image: &Option<String>| ExtendRequest {
        generation_id: parent.id.clone(),
        prompt: "It swims on".into(),
        direction: Some(direction),
        image: image.clone(),
        ..ExtendRequest::default()
    };
    let mut ids = vec![parent.id.clone()];
    for (name, req) in [
        ("forward", ext(Direction::Forward, &None)),
        ("backward", ext(Direction::Backward, &None)),
        ("forward to an image", ext(Direction::Forward, &image)),
        ("backward from an image", ext(Direction::Backward, &image)),
    ] {
        let g = extend(&c, req);
        assert_eq!(g.state, State::Completed, "{name}");
        let s = seconds(g.video_url.as_deref().unwrap());
        assert!((s - 2.0).abs() < 0.01, "{name}: {s} s");
        ids.push(g.id);
    }
    let other = generate(&c, prompt("A coral reef")).unwrap();
    let gen = |g: &Generation| Some(Keyframe::Generation { id: g.id.clone() });
    let bridge = GenerateRequest {
        keyframes: frames(gen(&parent), gen(&other)),
        ..prompt("One melts into the other")
    };
    let bridged = generate(&c, bridge).unwrap();
    assert!((seconds(bridged.video_url.as_deref().unwrap()) - 3.0).abs() < 0.01);
    let all = block_on(c.get_many(&ids)).unwrap();
    let got: Vec<&str> = all.iter().map(|g| g.id.as_str()).collect();
    assert_eq!(got, ids);
    assert!(all.iter().all(|g| g.state == State::Completed));
}

#[test]
fn every_failure_code_fails_the_wait_with_its_meaning() {
    let c = client();
    for (code, meaning) in luma_extend::provider::luma_agents::FAILURE_CODES {
        let e = generate(&c, prompt(&format!("this one hits {code}"))).unwrap_err();
        assert_eq!(e.code, ErrorCode::GenerationFailed, "{code}: {e}");
        let reason = e
            .generation
            .as_ref()
            .unwrap()
            .failure_reason
            .clone()
            .unwrap();
        assert!(
            reason.starts_with(meaning) && reason.contains(code),
            "{code}: {reason}"
        );
        assert!(e.message.contains(meaning), "{}", e.message);
    }
}

#[test]
fn the_servers_refusals_map_to_our_codes() {
    let c = client();
    let ghost = "7c6a9e55-3b0f-4e7e-9d41-2f1c8a0b5d10";
    let e = block_on(c.get(ghost)).unwrap_err();
    assert_eq!((e.code, e.status), (ErrorCode::NotFound, Some(404)));
    // An unknown parent passes our checks (it is a UUID) and the server refuses it.
    let orphan = ExtendRequest {
        generation_id: ghost.into(),
        prompt: "after nothing".into(),
        ..ExtendRequest::default()
    };
    let e = block_on(c.extend(&orphan)).unwrap_err();
    assert_eq!((e.code, e.status), (ErrorCode::InvalidRequest, Some(422)));
    assert!(e.message.contains("video.start_frame.generation_id"), "{e}");
    let base = format!("{}/v1", emulator());
    let wrong = Provider::new(ProviderKind::LumaAgents, "luma-api-wrong", Some(&base));
    let c = Client::new(wrong, Http, Wall, ClientOptions::default());
    let e = block_on(c.generate(&prompt("A cat"))).unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        (ErrorCode::Unauthorized, "Invalid API key")
    );
}
