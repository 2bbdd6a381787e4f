//! A minimal LSP client for tests: starts the real `moat-lsp` binary,
//! speaks JSON-RPC over its stdio, and records a transcript.

#![allow(dead_code)]

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

pub const TIMEOUT: Duration = Duration::from_secs(20);

pub struct Client {
    child: Child,
    stdin: ChildStdin,
    rx: Receiver<Value>,
    next_id: i64,
    /// Notifications that arrived while waiting for something else.
    queued: Vec<Value>,
    pub transcript: String,
    /// (text, replacement) pairs applied to the transcript.
    redactions: Vec<(String, String)>,
}

/// A fresh directory under the target directory for one test.
pub fn workdir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("create workdir");
    std::fs::canonicalize(&d).expect("canonical workdir")
}

pub fn uri(p: &Path) -> String {
    format!("file://{}", p.display())
}

impl Client {
    /// Starts the server; stdlib files go under `dir/cache`.
    pub fn start(dir: &Path) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_moat-lsp"))
            .env("XDG_CACHE_HOME", dir.join("cache"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start moat-lsp");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            loop {
                let mut len = None;
                loop {
                    let mut line = String::new();
                    match r.read_line(&mut line) {
                        Ok(0) | Err(_) => return,
                        Ok(_) => {}
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.strip_prefix("Content-Length: ") {
                        len = v.parse::<usize>().ok();
                    }
                }
                let Some(len) = len else { return };
                let mut buf = vec![0; len];
                if r.read_exact(&mut buf).is_err() {
                    return;
                }
                let Ok(v) = serde_json::from_slice::<Value>(&buf) else {
                    return;
                };
                if tx.send(v).is_err() {
                    return;
                }
            }
        });
        Client {
            child,
            stdin,
            rx,
            next_id: 1,
            queued: Vec::new(),
            transcript: String::new(),
            redactions: vec![
                (uri(&dir.join("cache")), "file:///CACHE".into()),
                (uri(dir), "file:///WORK".into()),
                (
                    format!("\"{}\"", env!("CARGO_PKG_VERSION")),
                    "\"VERSION\"".into(),
                ),
            ],
        }
    }

    fn send(&mut self, msg: &Value) {
        let body = serde_json::to_string(msg).expect("json");
        write!(self.stdin, "Content-Length: {}\r\n\r\n{}", body.len(), body).expect("write");
        self.stdin.flush().expect("flush");
    }

    pub fn redact(&self, text: &str) -> String {
        let mut t = text.to_string();
        for (from, to) in &self.redactions {
            t = t.replace(from, to);
        }
        t
    }

    fn record(&mut self, arrow: &str, method: &str, v: &Value) {
        let pretty = serde_json::to_string_pretty(v).expect("json");
        let line = format!("{arrow} {method}\n{}\n\n", self.redact(&pretty));
        self.transcript.push_str(&line);
    }

    pub fn note(&mut self, text: &str) {
        self.transcript.push_str(&format!("# {text}\n\n"));
    }

    /// Sends a request and waits for its response; records both.
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let r = self.request_quiet(method, params.clone());
        self.record("-->", method, &params);
        self.record("<--", method, &r);
        r
    }

    /// A request that is not recorded; the response's `result` (or the
    /// whole response when it is an error).
    pub fn request_quiet(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(v) if v.get("id") == Some(&json!(id)) && v.get("method").is_none() => {
                    return match v.get("result") {
                        Some(r) => r.clone(),
                        None => v,
                    };
                }
                Ok(v) if v.get("method").is_some() && v.get("id").is_some() => {
                    // A request from the server (e.g. registration): answer null.
                    let rid = v["id"].clone();
                    self.send(&json!({"jsonrpc": "2.0", "id": rid, "result": null}));
                }
                Ok(v) => self.queued.push(v),
                Err(RecvTimeoutError::Timeout) => panic!("no answer to {method} in {TIMEOUT:?}"),
                Err(RecvTimeoutError::Disconnected) => panic!("the server died during {method}"),
            }
        }
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.record("-->", method, &params);
        self.notify_quiet(method, params);
    }

    pub fn notify_quiet(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Waits for the next notification `method` whose params satisfy
    /// `pred`; records it.
    pub fn wait_for(&mut self, method: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let v = self.wait_for_quiet(method, pred);
        self.record("<--", method, &v);
        v
    }

    pub fn wait_for_quiet(&mut self, method: &str, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self
            .queued
            .iter()
            .position(|v| v["method"] == method && pred(&v["params"]))
        {
            return self.queued.remove(i)["params"].clone();
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(v) if v["method"] == method && pred(&v["params"]) => return v["params"].clone(),
                Ok(v) => self.queued.push(v),
                Err(_) => panic!("no {method} notification in {TIMEOUT:?}"),
            }
        }
    }

    /// `initialize` + `initialized`, offering `encodings`.
    pub fn initialize(&mut self, encodings: &[&str], options: Value) -> Value {
        let r = self.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": null,
                "capabilities": {"general": {"positionEncodings": encodings}},
                "initializationOptions": options,
            }),
        );
        self.notify("initialized", json!({}));
        r
    }

    pub fn open(&mut self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "moat", "version": 1, "text": text}}),
        );
    }

    pub fn change(&mut self, uri: &str, version: i64, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}),
        );
    }

    /// Diagnostics published for `uri` at `version`.
    pub fn diagnostics(&mut self, uri: &str, version: i64) -> Value {
        let u = uri.to_string();
        self.wait_for("textDocument/publishDiagnostics", move |p| {
            p["uri"] == u.as_str() && p["version"] == version
        })
    }

    /// `shutdown`, `exit`, and the process's exit status.
    pub fn shutdown(mut self) -> Option<i32> {
        self.request_quiet("shutdown", Value::Null);
        self.notify_quiet("exit", Value::Null);
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Ok(Some(s)) = self.child.try_wait() {
                return s.code();
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Line and column (in bytes, or UTF-16 units) of the first `needle`.
pub fn pos(text: &str, needle: &str, utf16: bool) -> Value {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} not in text"));
    let line = text[..at].matches('\n').count();
    let start = text[..at].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let col = if utf16 {
        text[start..at].encode_utf16().count()
    } else {
        at - start
    };
    json!({"line": line, "character": col})
}
