//! Starts the emulator binary on a free port and talks plain HTTP/1.1 to it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

pub const KEY: &str = "test-key";

pub struct Emulator {
    child: Child,
    pub url: String,
    pub addr: String,
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl Emulator {
    /// With `--admin`, fast jobs (`--job-ms`), and a short long-poll so tests stay quick.
    pub fn start() -> Emulator {
        Emulator::with_args(&["--admin", "--job-ms", "400"])
    }

    pub fn with_args(args: &[&str]) -> Emulator {
        let mut child = Command::new(env!("CARGO_BIN_EXE_luma-emulator"))
            .args(["--port", "0", "--api-key", KEY])
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .expect("the emulator starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("first line");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("first line was {line:?}"))
            .to_string();
        let addr = url.trim_start_matches("http://").to_string();
        Emulator { child, url, addr }
    }

    pub fn try_call(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> std::io::Result<Resp> {
        let body = body.unwrap_or("");
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nhost: {}\r\nconnection: close\r\ncontent-length: {}\r\n",
            self.addr,
            body.len()
        );
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        self.raw(&[head.as_bytes(), body.as_bytes()].concat())
    }

    /// Sends `request` as it is and reads the answer until the server closes.
    pub fn raw(&self, request: &[u8]) -> std::io::Result<Resp> {
        let mut s = TcpStream::connect(&self.addr)?;
        s.set_read_timeout(Some(Duration::from_secs(60)))?;
        s.write_all(request)?;
        let mut raw = Vec::new();
        s.read_to_end(&mut raw)?;
        let interim = b"HTTP/1.1 100 Continue\r\n\r\n";
        if raw.starts_with(interim) {
            raw.drain(..interim.len());
        }
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .ok_or_else(|| std::io::Error::other("no answer"))?;
        let head = String::from_utf8_lossy(&raw[..split]).to_string();
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect();
        Ok(Resp {
            status,
            headers,
            body: raw[split + 4..].to_vec(),
        })
    }

    pub fn call(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Resp {
        self.try_call(method, path, headers, body)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    /// With `Authorization: Bearer <key>`.
    pub fn bearer(&self, method: &str, path: &str, body: Option<&str>) -> Resp {
        self.call(
            method,
            path,
            &[
                ("authorization", &format!("Bearer {KEY}")),
                ("content-type", "application/json"),
            ],
            body,
        )
    }

    pub fn admin(&self, path: &str, body: Value) -> Value {
        self.call(
            "POST",
            &format!("/__emulator/{path}"),
            &[],
            Some(&body.to_string()),
        )
        .json()
    }

    pub fn counters(&self) -> Value {
        self.call("GET", "/__emulator/counters", &[], None).json()
    }

    /// Creates a Luma generation from `body` and polls it until completed.
    pub fn luma_completed(&self, body: Value) -> Value {
        let created = self
            .bearer(
                "POST",
                "/dream-machine/v1/generations/video",
                Some(&body.to_string()),
            )
            .json();
        let id = created["id"].as_str().expect("an id");
        self.completed(&format!("/dream-machine/v1/generations/{id}"))
    }

    /// GETs `path` (with the bearer key) until its `state` is `completed`.
    pub fn completed(&self, path: &str) -> Value {
        self.until_done(
            || self.bearer("GET", path, None).json(),
            |g| g["state"] == "completed",
        )
    }

    /// Polls a luma-shaped get until the state is terminal.
    pub fn until_done(
        &self,
        mut get: impl FnMut() -> Value,
        done: impl Fn(&Value) -> bool,
    ) -> Value {
        for _ in 0..200 {
            let v = get();
            if done(&v) {
                return v;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("never finished");
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Duration in seconds from the `mvhd` box of an MP4 (version 0).
pub fn mp4_seconds(bytes: &[u8]) -> f64 {
    box_seconds(bytes, b"mvhd")
}

/// Duration in seconds from the track's `mdhd` box (version 0).
pub fn mp4_media_seconds(bytes: &[u8]) -> f64 {
    box_seconds(bytes, b"mdhd")
}

/// `mvhd` and `mdhd` (version 0) both hold timescale and duration 16 and 20 bytes after the type.
fn box_seconds(bytes: &[u8], kind: &[u8; 4]) -> f64 {
    let at = bytes.windows(4).position(|w| w == kind).expect("the box");
    assert_eq!(bytes[at + 4], 0, "version 0");
    let word = |o: usize| u32::from_be_bytes(bytes[at + o..at + o + 4].try_into().unwrap());
    f64::from(word(20)) / f64::from(word(16))
}

/// Number of samples from `stsz`.
pub fn mp4_samples(bytes: &[u8]) -> u32 {
    let at = bytes.windows(4).position(|w| w == b"stsz").expect("stsz");
    u32::from_be_bytes(bytes[at + 12..at + 16].try_into().unwrap())
}
