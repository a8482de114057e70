//! Test helpers: start the real `wsprism-server` binary, and a small blocking WebSocket
//! client made of a `TcpStream` and the wsprism codec in the client role.
#![allow(dead_code)] // each test binary uses a different part

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use wsprism::{encoder, CloseCode, Decoder, Message, OpCode, Role};

/// How long any single read in a test may wait: keeps every test bounded.
pub const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// A running server, killed when dropped.
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    _stdout: ChildStdout,
}

impl Server {
    /// Starts the server on a free port with extra arguments and waits for its first line.
    pub fn start(args: &[&str]) -> Server {
        let stderr = if std::env::var_os("WSPRISM_TEST_LOG").is_some() {
            Stdio::inherit()
        } else {
            Stdio::null()
        };
        let mut child = Command::new(env!("CARGO_BIN_EXE_wsprism-server"))
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("start wsprism-server");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let _ = tx.send((line, reader.into_inner()));
        });
        let (line, stdout) = match rx.recv_timeout(Duration::from_secs(10)) {
            Ok(v) => v,
            Err(_) => {
                let _ = child.kill();
                panic!("the server printed no first line within 10 s");
            }
        };
        let addr = line
            .trim()
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .parse()
            .expect("an address");
        Server {
            child,
            addr,
            _stdout: stdout,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident set size of the server process, in KiB.
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS in /proc/PID/status")
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.pid() as i32),
            nix::sys::signal::Signal::SIGTERM,
        )
        .expect("kill");
    }

    /// Waits for the process to exit, at most `limit`.
    pub fn wait(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not exit in {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// GET `path` over plain HTTP/1.1; returns the response.
    pub fn get(&self, path: &str) -> Response {
        http(
            self.addr,
            &format!(
                "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
                self.addr
            ),
        )
    }

    /// The value of a metrics sample line such as `wsprism_x_total{reason="a"}`.
    pub fn metric(&self, sample: &str) -> u64 {
        let text = self.get("/metrics").body;
        text.lines()
            .find_map(|l| l.strip_prefix(sample)?.strip_prefix(' '))
            .unwrap_or_else(|| panic!("no sample {sample} in\n{text}"))
            .parse()
            .unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP response, as far as the tests look at it.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Reads a response head from `stream`; returns it and any bytes read past it.
/// Appends what one read brings to `buf`; `false` at the end of the stream (a reset
/// counts as one: the server may reset after its close frame).
pub fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> bool {
    let mut chunk = vec![0u8; 64 * 1024];
    let n = match stream.read(&mut chunk) {
        Ok(n) => n,
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => 0,
        Err(e) => panic!("read: {e}"),
    };
    buf.extend_from_slice(&chunk[..n]);
    n != 0
}

pub fn read_head(stream: &mut TcpStream) -> (Response, Vec<u8>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = stream.read(&mut chunk).expect("read response head");
        assert!(
            n > 0,
            "connection closed before a response: {:?}",
            String::from_utf8_lossy(&buf)
        );
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8(buf[..end].to_vec()).expect("ASCII head");
    let rest = buf[end + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    (
        Response {
            status,
            headers,
            body: String::new(),
        },
        rest,
    )
}

/// Sends a raw request and reads the whole response (body by Content-Length).
pub fn http(addr: SocketAddr, request: &str) -> Response {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let (mut res, mut body) = read_head(&mut s);
    let len: usize = res
        .header("content-length")
        .map(|v| v.parse().unwrap())
        .unwrap_or(0);
    while body.len() < len {
        let mut chunk = [0u8; 4096];
        let n = s.read(&mut chunk).unwrap();
        assert!(n > 0, "body cut short");
        body.extend_from_slice(&chunk[..n]);
    }
    res.body = String::from_utf8(body).unwrap();
    res
}

/// A valid upgrade request for `path` with extra header lines (each ending in CRLF).
pub fn upgrade_request(addr: SocketAddr, path: &str, extra: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n"
    )
}

/// A message as the tests see it (owned).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    Text(String),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    Close(Option<(u16, String)>),
}

impl From<Message<'_>> for Msg {
    fn from(m: Message<'_>) -> Msg {
        match m {
            Message::Text(t) => Msg::Text(t.to_owned()),
            Message::Binary(b) => Msg::Binary(b.to_vec()),
            Message::Ping(p) => Msg::Ping(p.to_vec()),
            Message::Pong(p) => Msg::Pong(p.to_vec()),
            Message::Close(c) => Msg::Close(c.map(|c| (c.code.0, c.reason.to_owned()))),
        }
    }
}

/// A blocking WebSocket client: a socket and the codec in the client role.
pub struct Client {
    pub stream: TcpStream,
    pub response: Response,
    decoder: Decoder,
    buf: Vec<u8>,
    start: usize,
    seed: u32,
}

impl Client {
    /// Opens a WebSocket to `path`, asserting a 101.
    pub fn connect(addr: SocketAddr, path: &str) -> Client {
        Client::connect_with(addr, path, "")
    }

    /// Like [`connect`](Self::connect) with extra header lines.
    pub fn connect_with(addr: SocketAddr, path: &str, extra: &str) -> Client {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
        stream.set_nodelay(true).unwrap();
        stream
            .write_all(upgrade_request(addr, path, extra).as_bytes())
            .unwrap();
        let (response, rest) = read_head(&mut stream);
        assert_eq!(response.status, 101, "{response:?}");
        // RFC 6455 §1.3's example key and answer.
        assert_eq!(
            response.header("sec-websocket-accept"),
            Some("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        );
        Client {
            stream,
            response,
            decoder: Decoder::with_config(
                Role::Client,
                wsprism::DecoderConfig {
                    max_message_len: 1 << 30,
                    max_frame_len: 1 << 30,
                    allowed_rsv: 0,
                },
            ),
            buf: rest,
            start: 0,
            seed: 0x9E37_79B9,
        }
    }

    fn mask_key(&mut self) -> [u8; 4] {
        // xorshift: a different key per frame, as §5.3 asks ("unpredictable" matters for
        // browsers and proxies, not for a test).
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 17;
        self.seed ^= self.seed << 5;
        self.seed.to_be_bytes()
    }

    /// Encodes a masked frame.
    pub fn frame(&mut self, opcode: OpCode, fin: bool, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let key = self.mask_key();
        encoder::encode_frame(&mut out, opcode, fin, Some(key), payload);
        out
    }

    /// Sends one masked frame.
    pub fn send(&mut self, opcode: OpCode, fin: bool, payload: &[u8]) {
        let f = self.frame(opcode, fin, payload);
        self.stream.write_all(&f).unwrap();
    }

    pub fn text(&mut self, text: &str) {
        self.send(OpCode::Text, true, text.as_bytes());
    }

    pub fn close(&mut self, code: u16, reason: &str) {
        let mut out = Vec::new();
        let key = self.mask_key();
        encoder::encode_close(&mut out, Some(key), CloseCode(code), reason);
        self.stream.write_all(&out).unwrap();
    }

    pub fn raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap();
    }

    /// The next message; panics on a protocol error, timeout or end of stream.
    pub fn recv(&mut self) -> Msg {
        self.try_recv().expect("a message")
    }

    /// The next message, or `None` at the end of the stream.
    pub fn try_recv(&mut self) -> Option<Msg> {
        loop {
            if self.start < self.buf.len() {
                let (used, msg) = self
                    .decoder
                    .decode(&mut self.buf[self.start..])
                    .expect("the server speaks RFC 6455");
                let msg = msg.map(Msg::from);
                self.start += used;
                if let Some(m) = msg {
                    return Some(m);
                }
            }
            self.buf.drain(..self.start);
            self.start = 0;
            if !read_more(&mut self.stream, &mut self.buf) {
                return None;
            }
        }
    }

    /// Reads until the close frame, skipping other messages; returns it.
    pub fn recv_close(&mut self) -> Option<(u16, String)> {
        loop {
            if let Msg::Close(c) = self.recv() {
                return c;
            }
        }
    }

    /// Asserts that the server closes the TCP connection (EOF) next.
    pub fn expect_eof(&mut self) {
        let mut b = [0u8; 1];
        match self.stream.read(&mut b) {
            Ok(0) => {}
            Ok(_) => panic!("data after the close frame"),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
            Err(e) => panic!("expected EOF, got {e}"),
        }
    }
}
