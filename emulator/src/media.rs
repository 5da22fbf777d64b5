//! Videos (and thumbnails): built on first request by joining segments, cached, served with Range and CORS.

use std::sync::Arc;
use std::time::Instant;

use crate::app::App;
use crate::http::{Request, Response};
use crate::jobs::Phase;
use crate::mp4;

/// The committed segments, in index order.
pub fn load_clips() -> Vec<mp4::Clip> {
    [
        &include_bytes!("../media/seg0.mp4")[..],
        include_bytes!("../media/seg1.mp4"),
        include_bytes!("../media/seg2.mp4"),
        include_bytes!("../media/seg3.mp4"),
        include_bytes!("../media/seg4.mp4"),
        include_bytes!("../media/seg5.mp4"),
    ]
    .iter()
    .filter_map(|bytes| mp4::read(bytes))
    .collect()
}

/// The first frame of each segment (the thumbnail of a video opening with it), in index order.
const THUMBNAILS: [&[u8]; 6] = [
    include_bytes!("../media/thumb0.jpg"),
    include_bytes!("../media/thumb1.jpg"),
    include_bytes!("../media/thumb2.jpg"),
    include_bytes!("../media/thumb3.jpg"),
    include_bytes!("../media/thumb4.jpg"),
    include_bytes!("../media/thumb5.jpg"),
];

/// `/thumbnails/<id>.jpg` of a completed job: its video's first frame.
fn thumbnail(app: &App, req: &Request, file: &str) -> Response {
    let image = file
        .strip_suffix(".jpg")
        .and_then(|id| app.job(id))
        .filter(|job| job.phase(Instant::now()) == Phase::Completed)
        .and_then(|job| THUMBNAILS.get(*job.segments.first()?));
    match image {
        Some(bytes) => ranged(req.header("range"), bytes, "image/jpeg"),
        None => Response::empty(404),
    }
}

fn build(app: &App, segments: &[usize]) -> Option<Vec<u8>> {
    let clips: Vec<&mp4::Clip> = segments.iter().filter_map(|&i| app.clips.get(i)).collect();
    mp4::join(&clips).map(|c| mp4::write(&c))
}

/// `/videos/<id>.mp4` (the finished video) and `/previews/<id>.mp4` (the new segment alone).
pub fn serve(app: &App, req: &Request) -> Response {
    let (preview, file) = match (
        req.path.strip_prefix("/videos/"),
        req.path.strip_prefix("/previews/"),
    ) {
        (Some(f), _) => (false, f),
        (_, Some(f)) => (true, f),
        _ => {
            return match req.path.strip_prefix("/thumbnails/") {
                Some(file) => thumbnail(app, req, file),
                None => Response::empty(404),
            }
        }
    };
    let Some(id) = file.strip_suffix(".mp4") else {
        return Response::empty(404);
    };
    let Some(job) = app.job(id) else {
        return Response::empty(404);
    };
    if !preview && job.phase(Instant::now()) != Phase::Completed {
        return Response::empty(404);
    }
    let key = format!("{}{id}", if preview { "p:" } else { "v:" });
    let cached = app.lock().videos.get(&key).cloned();
    let bytes = match cached {
        Some(b) => b,
        None => {
            let segments = if preview {
                vec![job.new_segment]
            } else {
                job.segments.clone()
            };
            let Some(b) = build(app, &segments) else {
                return Response::empty(500);
            };
            let b = Arc::new(b);
            app.lock().videos.insert(key, b.clone());
            b
        }
    };
    ranged(req.header("range"), &bytes, "video/mp4")
}

fn ranged(range: Option<&str>, bytes: &[u8], content_type: &str) -> Response {
    let total = bytes.len();
    let base = |status, body: Vec<u8>| {
        Response::new(status, content_type, body).header("accept-ranges", "bytes")
    };
    let Some(spec) = range.and_then(|r| r.strip_prefix("bytes=")) else {
        return base(200, bytes.to_vec());
    };
    let (a, b) = spec.split_once('-').unwrap_or((spec, ""));
    let (start, end) = match (
        a.trim().parse::<usize>().ok(),
        b.trim().parse::<usize>().ok(),
    ) {
        (Some(s), Some(e)) => (s, e.min(total.saturating_sub(1))),
        (Some(s), None) => (s, total.saturating_sub(1)),
        (None, Some(n)) => (total.saturating_sub(n), total.saturating_sub(1)),
        (None, None) => (usize::MAX, 0),
    };
    if start > end || start >= total {
        return Response::empty(416).header("content-range", &format!("bytes */{total}"));
    }
    base(206, bytes[start..=end].to_vec())
        .header("content-range", &format!("bytes {start}-{end}/{total}"))
}
