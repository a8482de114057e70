//! Harness for the end-to-end interop tests: runs the real `wsprism-server` binary as a child
//! process on an ephemeral loopback port and hands tests its address, plus deterministic
//! payload generators.
//!
//! The tests talk to the server only through independent client libraries (tokio-tungstenite
//! here, Python `websockets` and Node `ws` in `interop/`), never through wsprism's own codec:
//! a bug shared by our encoder and our decoder would cancel out in a self-test.
//!
//! Finding the binary: `WSPRISM_SERVER_BIN` if set (the test stages set it), otherwise
//! `cargo build -p wsprism-server` is run once per test process, so `cargo test --workspace`
//! never runs a stale server. That build goes to its own target directory
//! (`target/harness`): the codec is also a `cdylib`, so its rlib has no hash in its file
//! name, and a build with other dependency features (a lone `-p wsprism-server` resolves
//! fewer than the whole workspace's tests) would overwrite the one the running `cargo test`
//! links doc tests against (E0460).

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

/// How long the server may take to print its address.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(20);
/// How long the server may take to exit after SIGTERM.
const EXIT_TIMEOUT: Duration = Duration::from_secs(10);
/// Cap on the stderr kept for diagnostics, so a chatty server cannot grow the test's memory.
const STDERR_CAP: usize = 64 * 1024;

/// The server's stdout line announcing its address: `listening on http://HOST:PORT`.
const LISTENING_PREFIX: &str = "listening on http://";

/// Parses the first stdout line of `wsprism-server` into the socket address it listens on.
///
/// ```
/// let addr = wsprism_e2e::parse_listening_line("listening on http://127.0.0.1:4711\n").unwrap();
/// assert_eq!(addr.port(), 4711);
/// let v6 = wsprism_e2e::parse_listening_line("listening on http://[::1]:80").unwrap();
/// assert!(v6.is_ipv6());
/// assert!(wsprism_e2e::parse_listening_line("listening on 127.0.0.1:1").is_none());
/// ```
pub fn parse_listening_line(line: &str) -> Option<SocketAddr> {
    let rest = line.trim_end().strip_prefix(LISTENING_PREFIX)?;
    rest.trim_end_matches('/').parse().ok()
}

/// The workspace root (this crate lives in `<root>/tests`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// Path of the server binary, building it first unless `WSPRISM_SERVER_BIN` names one.
///
/// Panics with the build's output if the build fails: every e2e test needs the binary.
pub fn server_binary() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(bin) = std::env::var_os("WSPRISM_SERVER_BIN") {
            let bin = PathBuf::from(bin);
            assert!(
                bin.is_file(),
                "WSPRISM_SERVER_BIN={} is not a file",
                bin.display()
            );
            return bin;
        }
        let target = workspace_root().join("target").join("harness");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let out = Command::new(cargo)
            .args(["build", "-p", "wsprism-server", "--bin", "wsprism-server"])
            .arg("--target-dir")
            .arg(&target)
            .current_dir(workspace_root())
            .output()
            .expect("run cargo build -p wsprism-server");
        assert!(
            out.status.success(),
            "cargo build -p wsprism-server failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let bin = target.join("debug").join("wsprism-server");
        assert!(bin.is_file(), "no server binary at {}", bin.display());
        bin
    })
    .clone()
}

/// A running `wsprism-server` child process. Dropping it kills the process (also when a test
/// panics), so no server outlives its test.
pub struct Server {
    child: Child,
    addr: SocketAddr,
    stderr: Arc<Mutex<String>>,
    // Kept open so a server that prints more to stdout never gets SIGPIPE.
    _stdout: Option<thread::JoinHandle<()>>,
}

impl Server {
    /// Starts the server on `127.0.0.1:0` with default settings.
    pub fn start() -> Server {
        Server::start_with(&[])
    }

    /// Starts the server on `127.0.0.1:0` with extra command-line arguments.
    pub fn start_with(args: &[&str]) -> Server {
        let mut child = Command::new(server_binary())
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn wsprism-server");

        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&stderr);
        let mut err_pipe = child.stderr.take().expect("piped stderr");
        thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = err_pipe.read(&mut buf) {
                let mut log = sink.lock().unwrap_or_else(|p| p.into_inner());
                if log.len() < STDERR_CAP {
                    log.push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            }
        });

        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        let reader = thread::spawn(move || read_stdout(stdout, tx));
        let line = match rx.recv_timeout(STARTUP_TIMEOUT) {
            Ok(line) => line,
            Err(e) => {
                let exited = child.try_wait().ok().flatten();
                let _ = child.kill();
                let _ = child.wait();
                let why = match exited {
                    Some(status) => format!("it exited first ({status})"),
                    None => format!("{e}"),
                };
                panic!(
                    "wsprism-server printed no address: {why}; stderr:\n{}",
                    stderr.lock().unwrap_or_else(|p| p.into_inner())
                );
            }
        };
        let Some(addr) = parse_listening_line(&line) else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("first stdout line of wsprism-server is not `{LISTENING_PREFIX}ADDR`: {line:?}");
        };
        Server {
            child,
            addr,
            stderr,
            _stdout: Some(reader),
        }
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `ws://ADDR{path}`.
    pub fn ws_url(&self, path: &str) -> String {
        format!("ws://{}{}", self.addr, path)
    }

    /// The process id (for signals).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the server wrote to stderr so far (capped), for failure messages.
    pub fn stderr(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Sends SIGTERM (graceful shutdown).
    pub fn sigterm(&self) {
        // `kill(1)` rather than libc: no unsafe code for one signal in a test harness.
        let status = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM {} failed", self.pid());
    }

    /// Waits up to `EXIT_TIMEOUT` for the process to exit; `None` if it is still running.
    pub fn wait_exit(&mut self) -> Option<ExitStatus> {
        let deadline = Instant::now() + EXIT_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// True while the process has not exited.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if thread::panicking() {
            eprintln!("--- wsprism-server stderr ---\n{}", self.stderr());
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends the first stdout line to `tx`, then drains stdout until the server exits.
fn read_stdout(stdout: ChildStdout, tx: mpsc::Sender<String>) {
    let mut reader = BufReader::new(stdout);
    let mut line = String::new();
    if reader.read_line(&mut line).is_ok() && !line.is_empty() {
        let _ = tx.send(line);
    }
    drop(tx);
    let mut sink = [0u8; 1024];
    while let Ok(1..) = reader.read(&mut sink) {}
}

/// A small deterministic PRNG (SplitMix64): payloads differ byte to byte and run to run are
/// identical, so reordering, truncation or corruption shows, and failures reproduce.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a fixed seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// Next 64 pseudo-random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (n > 0; the tiny modulo bias does not matter here).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// `len` pseudo-random bytes.
    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len + 8);
        while out.len() < len {
            out.extend_from_slice(&self.next_u64().to_le_bytes());
        }
        out.truncate(len);
        out
    }

    /// A valid UTF-8 string of exactly `len` bytes mixing 1-, 2-, 3- and 4-byte characters.
    pub fn text(&mut self, len: usize) -> String {
        let mut out = String::with_capacity(len);
        while out.len() < len {
            let room = (len - out.len()).min(4) as u64;
            let width = 1 + self.below(room) as u32;
            out.push(self.char_of_width(width));
        }
        debug_assert_eq!(out.len(), len);
        out
    }

    /// A character whose UTF-8 encoding is `width` bytes (1..=4), never a surrogate.
    fn char_of_width(&mut self, width: u32) -> char {
        let (lo, hi) = match width {
            1 => (0x20, 0x7F),
            2 => (0x80, 0x800),
            3 => (0x800, 0x1_0000),
            _ => (0x1_0000, 0x11_0000),
        };
        loop {
            let cp = lo + self.below(u64::from(hi - lo)) as u32;
            if let Some(c) = char::from_u32(cp) {
                return c;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_has_exact_byte_length_and_multibyte_chars() {
        let mut rng = Rng::new(7);
        for len in [0, 1, 2, 3, 4, 5, 125, 126, 65_535, 65_536] {
            let s = rng.text(len);
            assert_eq!(s.len(), len);
        }
        let s = rng.text(4096);
        assert!(s.chars().any(|c| c.len_utf8() == 2));
        assert!(s.chars().any(|c| c.len_utf8() == 3));
        assert!(s.chars().any(|c| c.len_utf8() == 4));
    }

    #[test]
    fn rng_is_deterministic_and_not_constant() {
        let a = Rng::new(1).bytes(1000);
        assert_eq!(a, Rng::new(1).bytes(1000));
        assert_ne!(a, Rng::new(2).bytes(1000));
        assert!(a.windows(2).any(|w| w[0] != w[1]));
    }

    #[test]
    fn listening_line_parses_only_the_contract_format() {
        assert_eq!(
            parse_listening_line("listening on http://127.0.0.1:9000"),
            Some("127.0.0.1:9000".parse().unwrap())
        );
        assert_eq!(parse_listening_line("listening on http://127.0.0.1"), None);
        assert_eq!(
            parse_listening_line("listening at http://127.0.0.1:1"),
            None
        );
    }
}
