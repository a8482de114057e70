//! Starting the `wsprism-server` binary as a child process on an ephemeral loopback port.
//!
//! The binary is found (or built) by the e2e harness, [`wsprism_e2e::server_binary`].

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use crate::client::Target;

/// How long the server may take to print its address.
const STARTUP: Duration = Duration::from_secs(30);
/// Lines of the server's stderr kept for diagnostics.
const STDERR_LINES: usize = 200;

/// The server binary (see [`wsprism_e2e::server_binary`]).
pub fn server_binary() -> Result<PathBuf, String> {
    Ok(wsprism_e2e::server_binary())
}

/// A running server; killed when dropped.
pub struct Server {
    child: Child,
    /// The address it listens on.
    pub addr: SocketAddr,
    stderr: Arc<Mutex<VecDeque<String>>>,
}

impl Server {
    /// Starts the server on `127.0.0.1:0` with extra `args`.
    pub fn start(args: &[&str]) -> Result<Server, String> {
        Server::start_bin(&server_binary()?, args)
    }

    /// Starts `bin` on `127.0.0.1:0` with extra `args`.
    pub fn start_bin(bin: &Path, args: &[&str]) -> Result<Server, String> {
        let mut child = Command::new(bin)
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("starting {}: {e}", bin.display()))?;
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        let tail = Arc::new(Mutex::new(VecDeque::new()));
        {
            let tail = tail.clone();
            thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    let mut t = tail.lock().unwrap_or_else(|e| e.into_inner());
                    if t.len() == STDERR_LINES {
                        t.pop_front();
                    }
                    t.push_back(line);
                }
            });
        }
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let _ = tx.send(lines.next());
            // Keep draining so that the server never blocks on a full pipe.
            for _ in lines {}
        });
        let first = rx.recv_timeout(STARTUP);
        let addr = match first {
            Ok(Some(Ok(ref line))) => parse_listening(line),
            _ => None,
        };
        match addr {
            Some(addr) => Ok(Server {
                child,
                addr,
                stderr: tail,
            }),
            None => {
                let _ = child.kill();
                let _ = child.wait();
                thread::sleep(Duration::from_millis(100));
                let err = tail
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .iter()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("\n");
                Err(format!(
                    "the server did not print `listening on http://ADDR` first (got {first:?}); stderr:\n{err}"
                ))
            }
        }
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The `/echo` endpoint.
    pub fn echo(&self) -> Target {
        self.target("/echo")
    }

    /// An endpoint.
    pub fn target(&self, path: &str) -> Target {
        Target {
            addr: self.addr,
            host: self.addr.to_string(),
            path: path.to_string(),
        }
    }

    /// The server's resident memory in KiB (VmRSS of /proc/PID/status).
    pub fn rss_kib(&self) -> Option<u64> {
        proc_status_kib(self.pid(), "VmRSS:")
    }

    /// The last lines the server wrote to stderr.
    pub fn stderr_tail(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Parses `listening on http://127.0.0.1:PORT`.
pub fn parse_listening(line: &str) -> Option<SocketAddr> {
    line.trim()
        .strip_prefix("listening on http://")?
        .trim_end_matches('/')
        .parse()
        .ok()
}

/// A `kB` field of /proc/PID/status (VmRSS:, VmHWM:, ...).
pub fn proc_status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listening_line_gives_the_address() {
        assert_eq!(
            parse_listening("listening on http://127.0.0.1:4711\n")
                .unwrap()
                .port(),
            4711
        );
        assert!(parse_listening("listening on http://[::1]:80/")
            .unwrap()
            .is_ipv6());
        assert!(parse_listening("listening on 127.0.0.1:1").is_none());
    }

    #[test]
    fn proc_status_reads_our_own_rss() {
        let rss = proc_status_kib(std::process::id(), "VmRSS:").expect("VmRSS");
        assert!(rss > 0);
        assert!(proc_status_kib(std::process::id(), "NoSuchField:").is_none());
    }
}
