//! A strict local emulator of the five provider protocols on one port: Luma
//! (`/dream-machine/v1`), Luma's Agents API (`/v1`), AI/ML API (`/v2/generate/video/luma-ai`),
//! APIFRAME and gpt.ge, with
//! real MP4 videos, callbacks, and faults on demand. See emulator/README.md.

mod admin;
mod aimlapi;
mod apiframe;
mod app;
mod callbacks;
mod check;
mod fields;
mod gptge;
mod http;
mod jobs;
mod luma;
mod luma_agents;
mod media;
pub mod mp4;
mod rng;

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::json;
use tokio::io::BufReader;
use tokio::net::{TcpListener, TcpStream};

use admin::Fault;
use app::App;
pub use app::Options;
use http::{read_request, write_response, ReadError, Request, Response};

/// Binds 127.0.0.1 (never another interface) and serves until the process ends.
pub async fn serve(options: Options) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = TcpListener::bind(("127.0.0.1", options.port)).await?;
    let addr = listener.local_addr()?;
    let app = App::new(options, media::load_clips());
    app.lock().base_url = format!("http://{addr}");
    let handle = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            tokio::spawn(connection(app.clone(), stream));
        }
    });
    Ok((addr, handle))
}

async fn connection(app: App, stream: TcpStream) {
    let mut reader = BufReader::new(stream);
    loop {
        let req = match read_request(&mut reader).await {
            Ok(r) => r,
            Err(ReadError::Closed) => return,
            Err(ReadError::Bad(status, msg)) => {
                let _ = write_response(
                    reader.get_mut(),
                    &Response::json(status, &json!({ "detail": msg })),
                    false,
                )
                .await;
                return;
            }
        };
        let Some(resp) = respond(&app, &req).await else {
            // A reset: close without answering, with RST rather than FIN, as a crashed proxy would.
            let _ = reader.into_inner().set_zero_linger();
            return;
        };
        let head_only = req.method == "HEAD";
        if write_response(reader.get_mut(), &resp, head_only)
            .await
            .is_err()
            || req.header("connection") == Some("close")
        {
            return;
        }
    }
}

enum Route {
    Preflight,
    Video,
    Admin,
    Luma(String),
    LumaAgents(String),
    Aimlapi,
    Apiframe,
    Gptge,
    Unknown,
}

fn route(req: &Request) -> Route {
    let p = req.path.as_str();
    if req.method == "OPTIONS" {
        Route::Preflight
    } else if ["/videos/", "/previews/", "/thumbnails/"]
        .iter()
        .any(|prefix| p.starts_with(prefix))
    {
        Route::Video
    } else if p.starts_with("/__emulator/") {
        Route::Admin
    } else if let Some(rest) = p.strip_prefix("/dream-machine/v1") {
        Route::Luma(rest.to_string())
    } else if let Some(rest) = p
        .strip_prefix("/v1")
        .filter(|r| r.is_empty() || r.starts_with('/'))
    {
        Route::LumaAgents(rest.to_string())
    } else if p.starts_with("/v2/generate/video/luma-ai/") {
        Route::Aimlapi
    } else if [
        "/luma-imagine",
        "/luma-extend",
        "/fetch",
        "/fetch-many",
        "/account",
    ]
    .contains(&p)
    {
        Route::Apiframe
    } else if p.starts_with("/luma/generations") {
        Route::Gptge
    } else {
        Route::Unknown
    }
}

fn is_create(req: &Request) -> bool {
    req.method == "POST" && !matches!(req.path.as_str(), "/fetch" | "/fetch-many")
}

/// The counter key of a request: method and path with ids folded to `{id}`.
fn route_key(app: &App, req: &Request) -> String {
    let s = app.lock();
    let path: Vec<&str> = req
        .path
        .split('/')
        .map(|seg| {
            if s.jobs.by_id.contains_key(seg) {
                "{id}"
            } else {
                seg
            }
        })
        .collect();
    format!("{} {}", req.method, path.join("/"))
}

async fn respond(app: &App, req: &Request) -> Option<Response> {
    let route = route(req);
    match route {
        Route::Preflight => {
            return Some(
                Response::empty(204)
                    .header("access-control-allow-methods", "GET, POST, DELETE, OPTIONS")
                    .header(
                        "access-control-allow-headers",
                        "authorization, content-type, range, x-webhook-secret",
                    )
                    .header("access-control-max-age", "600"),
            )
        }
        Route::Video => return Some(media::serve(app, req)),
        Route::Admin if app.lock().options.admin => return Some(admin::handle(app, req)),
        Route::Admin | Route::Unknown => {
            return Some(Response::json(404, &json!({ "detail": "Not Found" })))
        }
        _ => {}
    }
    let key = route_key(app, req);
    app.count(|c| *c.requests.entry(key.clone()).or_default() += 1);
    let fault = admin::draw(app);
    match fault {
        Some(Fault::Status(status)) => return Some(fault_status(app, status)),
        Some(Fault::Reset) if !(is_create(req) && app.lock().faults.reset_after_create) => {
            return None
        }
        Some(Fault::Slow) => {
            let ms = app.lock().faults.slow_ms;
            tokio::time::sleep(Duration::from_millis(ms)).await
        }
        _ => {}
    }
    let before = app.lock().jobs.order.len();
    let resp = match route {
        Route::Luma(rest) => luma::handle_luma(app, req, &rest),
        Route::LumaAgents(rest) => luma_agents::handle(app, req, &rest),
        Route::Aimlapi => aimlapi::handle(app, req).await,
        Route::Apiframe => apiframe::handle(app, req),
        _ => gptge::handle(app, req),
    };
    let created = app
        .lock()
        .jobs
        .order
        .get(before..)
        .map(|ids| ids.to_vec())
        .unwrap_or_default();
    let made = !created.is_empty();
    if made {
        app.count(|c| *c.creates_by_key.entry(key).or_default() += created.len() as u64);
    }
    for id in created {
        callbacks::watch(app.clone(), id);
    }
    let (delay_ms, lose) = {
        let f = &app.lock().faults;
        (f.create_answer_ms, f.lose_create_answers)
    };
    if made && delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
    }
    match fault {
        _ if made && lose => None,
        Some(Fault::Reset) => None,
        Some(Fault::Malformed) => Some(Response::new(
            resp.status,
            "application/json",
            b"{\"id\": \"trunc".to_vec(),
        )),
        _ => Some(resp),
    }
}

fn fault_status(app: &App, status: u16) -> Response {
    let mut r = Response::json(
        status,
        &json!({ "detail": format!("injected fault: HTTP {status}") }),
    );
    if status == 429 {
        r = r.header("retry-after", &app.lock().faults.retry_after_s.to_string());
    }
    r
}
