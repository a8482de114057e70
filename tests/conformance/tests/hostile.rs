//! Hostile clients against the real server, each test with a server of its own.
//!
//! - slowloris: a handshake sent one byte a second is dropped at the handshake timeout;
//! - a header declaring 2^62 bytes, then nothing: close 1009 and no memory taken;
//! - 100,000 one-byte fragments, and a ping flood: other clients stay served;
//! - a client that never reads: the server's memory stays bounded (measured);
//! - invalid handshakes of every kind, 64 KiB of headers included;
//! - 10,000 idle connections: memory per connection (measured, printed).
//!
//! The tests run one at a time (a lock) so that their memory and latency figures are the
//! server's alone, and every wait is bounded.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use wsprism_conformance::client::{self, Conn, Event, Target};
use wsprism_conformance::frame::{op, Frame, Length};
use wsprism_conformance::rng;
use wsprism_conformance::server::{proc_status_kib, Server};

fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn start(args: &[&str]) -> Server {
    Server::start(args).unwrap_or_else(|e| panic!("{e}"))
}

fn rss(server: &Server) -> u64 {
    server.rss_kib().expect("VmRSS of the server")
}

/// Reads frames until a close arrives; returns its code. Panics on anything else.
fn expect_close(conn: &mut Conn) -> Option<u16> {
    match conn.next_event() {
        Event::Frame(f) if f.opcode == op::CLOSE => f.close_code(),
        other => panic!("expected a close frame, got {other:?}"),
    }
}

/// Whether the server closed the TCP connection (EOF or reset) within `within`.
fn closed_within(s: &mut TcpStream, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    let mut buf = [0u8; 4096];
    while Instant::now() < deadline {
        let left = deadline - Instant::now();
        s.set_read_timeout(Some(left.max(Duration::from_millis(1))))
            .expect("set timeout");
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if client::is_timeout(&e) => return false,
            Err(_) => return true,
        }
    }
    false
}

/// A well-behaved client that pings every 20 ms while a hostile one works, and keeps the
/// worst round trip.
struct Prober {
    stop: Arc<AtomicBool>,
    handle: thread::JoinHandle<Result<(Duration, usize), String>>,
}

impl Prober {
    fn start(target: &Target) -> Prober {
        let stop = Arc::new(AtomicBool::new(false));
        let mut conn = Conn::open(target).expect("prober handshake");
        let flag = stop.clone();
        let handle = thread::spawn(move || {
            let mut worst = Duration::ZERO;
            let mut rounds = 0;
            while !flag.load(Ordering::SeqCst) {
                let payload = rng::bytes(8);
                let t = Instant::now();
                conn.stream
                    .write_all(&Frame::ping(payload.clone()).encode())
                    .map_err(|e| format!("prober write: {e}"))?;
                match conn.next_event() {
                    Event::Frame(f) if f.opcode == op::PONG && f.payload == payload => {}
                    other => return Err(format!("prober got {other:?}")),
                }
                worst = worst.max(t.elapsed());
                rounds += 1;
                thread::sleep(Duration::from_millis(20));
            }
            Ok((worst, rounds))
        });
        Prober { stop, handle }
    }

    /// Stops and returns the worst round trip and the number of rounds.
    fn finish(self) -> (Duration, usize) {
        self.stop.store(true, Ordering::SeqCst);
        self.handle
            .join()
            .expect("prober thread")
            .unwrap_or_else(|e| panic!("{e}"))
    }
}

/// Worst ping round trip another client may see while a hostile one works. Generous: the
/// server may be a debug build sharing two cores with the test.
const RESPONSIVE: Duration = Duration::from_millis(1500);

#[test]
fn slowloris_handshake_is_dropped_at_the_handshake_timeout() {
    let _g = serial();
    let server = start(&["--handshake-timeout", "2s"]);
    let target = server.echo();
    let request = client::upgrade_request(&target, &client::random_key(), &[]);
    let mut loris: Vec<TcpStream> = (0..5).map(|_| client::tcp(&target).unwrap()).collect();
    let start = Instant::now();
    let mut sent = 0;
    let mut dropped_at = vec![None; loris.len()];
    // One byte a second on each connection, until each is dropped (or 8 s pass).
    while start.elapsed() < Duration::from_secs(8) && dropped_at.iter().any(Option::is_none) {
        for (i, s) in loris.iter_mut().enumerate() {
            if dropped_at[i].is_some() {
                continue;
            }
            let wrote = s.write_all(&request.as_bytes()[sent..sent + 1]).is_ok();
            if !wrote || closed_within(s, Duration::from_millis(1)) {
                dropped_at[i] = Some(start.elapsed());
            }
        }
        sent += 1;
        // Meanwhile a normal client is served at once.
        if sent == 1 {
            let mut c = Conn::open(&target).expect("a normal client during slowloris");
            c.stream.write_all(&Frame::text("hi").encode()).unwrap();
            assert!(matches!(c.next_event(), Event::Frame(f) if f.payload == b"hi"));
        }
        for (i, s) in loris.iter_mut().enumerate() {
            if dropped_at[i].is_none() && closed_within(s, Duration::from_millis(200)) {
                dropped_at[i] = Some(start.elapsed());
            }
        }
        thread::sleep(Duration::from_millis(600));
    }
    println!(
        "slowloris: {sent} of {} request bytes sent; dropped after {dropped_at:?}",
        request.len()
    );
    for at in &dropped_at {
        let at = at.expect("a slowloris connection was never dropped");
        assert!(
            at >= Duration::from_millis(1500) && at <= Duration::from_secs(5),
            "dropped after {at:?}, the handshake timeout is 2 s"
        );
    }
    assert!(sent < request.len(), "the whole request was sent");
}

#[test]
fn a_2_pow_62_byte_header_gets_1009_without_allocation() {
    let _g = serial();
    let server = start(&[]);
    let target = server.echo();
    // Warm up (allocator arenas, the runtime's threads), then measure.
    for _ in 0..3 {
        let mut c = Conn::open(&target).unwrap();
        c.stream
            .write_all(&Frame::close(1000, b"").encode())
            .unwrap();
        assert_eq!(expect_close(&mut c), Some(1000));
    }
    let before = rss(&server);
    let mut conns = Vec::new();
    for declared in [1u64 << 62, (16 << 20) + 1, u64::MAX >> 1] {
        let mut c = Conn::open(&target).unwrap();
        let t = Instant::now();
        c.stream
            .write_all(
                &Frame::binary("")
                    .length(Length::Declared(declared))
                    .encode(),
            )
            .unwrap();
        assert_eq!(expect_close(&mut c), Some(1009), "declared {declared}");
        assert!(
            t.elapsed() < Duration::from_secs(2),
            "1009 took {:?}",
            t.elapsed()
        );
        assert!(closed_within(&mut c.stream, Duration::from_secs(6)));
        conns.push(c);
    }
    // A header declaring exactly the limit, and no payload: accepted, and waited on; the
    // server must not touch memory for bytes that never came.
    let mut waiting = Vec::new();
    for _ in 0..20 {
        let mut c = Conn::open(&target).unwrap();
        c.stream
            .write_all(
                &Frame::binary("")
                    .length(Length::Declared(16 << 20))
                    .encode(),
            )
            .unwrap();
        waiting.push(c);
    }
    thread::sleep(Duration::from_millis(300));
    let after = rss(&server);
    println!(
        "2^62 header: RSS {before} KiB before, {after} KiB after (3 oversized headers, 20 connections each declaring 16 MiB)"
    );
    assert!(
        after < before + 8 * 1024,
        "server RSS grew from {before} KiB to {after} KiB on declared lengths alone"
    );
    for mut c in waiting {
        // Still open, still waiting for the payload.
        c.timeout = Duration::from_millis(50);
        assert!(matches!(c.next_event(), Event::Timeout));
    }
}

#[test]
fn hundred_thousand_one_byte_fragments_and_a_ping_flood_leave_others_served() {
    let _g = serial();
    let server = start(&[]);
    let target = server.echo();
    let prober = Prober::start(&target);

    // 100,000 one-byte fragments of one text message, in writes of 1000 frames.
    let text = rng::text(100_000);
    let mut frag = Conn::open(&target).unwrap();
    let writer = frag.stream.try_clone().unwrap();
    let data = text.clone();
    let t = Instant::now();
    let w = thread::spawn(move || {
        let mut writer = writer;
        for (k, chunk) in data.chunks(1000).enumerate() {
            let frames: Vec<Frame> = chunk
                .iter()
                .enumerate()
                .map(|(i, b)| {
                    let n = k * 1000 + i;
                    let f = if n == 0 {
                        Frame::text(vec![*b])
                    } else {
                        Frame::cont(vec![*b])
                    };
                    f.fin(n + 1 == data.len())
                })
                .collect();
            writer
                .write_all(&wsprism_conformance::frame::encode_all(&frames))
                .unwrap();
        }
    });
    let mut got = Vec::new();
    loop {
        match frag.next_event() {
            Event::Frame(f) if f.opcode == op::TEXT || f.opcode == op::CONT => {
                got.extend_from_slice(&f.payload);
                if f.fin {
                    break;
                }
            }
            other => panic!("fragments: got {other:?}"),
        }
    }
    w.join().unwrap();
    assert_eq!(
        got, text,
        "the 100,000-fragment message came back different"
    );
    let frag_time = t.elapsed();

    // Ping flood: 100,000 pings in large writes, pongs read at the same time.
    let mut flood = Conn::open(&target).unwrap();
    let writer = flood.stream.try_clone().unwrap();
    const PINGS: usize = 100_000;
    let t = Instant::now();
    let w = thread::spawn(move || {
        let mut writer = writer;
        let ping = Frame::ping("flood").encode();
        for _ in 0..PINGS / 1000 {
            writer.write_all(&ping.repeat(1000)).unwrap();
        }
    });
    let mut pongs = 0;
    while pongs < PINGS {
        match flood.next_event() {
            Event::Frame(f) if f.opcode == op::PONG && f.payload == b"flood" => pongs += 1,
            other => panic!("ping flood: got {other:?} after {pongs} pongs"),
        }
    }
    w.join().unwrap();
    let flood_time = t.elapsed();
    let (worst, rounds) = prober.finish();
    println!(
        "100,000 fragments echoed in {frag_time:?}; {PINGS} pings answered in {flood_time:?}; \
         other client's worst ping round trip {worst:?} over {rounds} rounds"
    );
    assert!(rounds > 0);
    assert!(
        worst < RESPONSIVE,
        "another client waited {worst:?} for a pong"
    );
}

#[test]
fn a_client_that_never_reads_costs_bounded_memory() {
    let _g = serial();
    let server = start(&["--max-message-size", "1MiB", "--write-timeout", "3s"]);
    let target = server.echo();
    let prober = Prober::start(&target);
    let before = rss(&server);
    let mut c = Conn::open(&target).unwrap();
    c.stream
        .set_write_timeout(Some(Duration::from_secs(1)))
        .unwrap();
    let msg = Frame::binary(rng::bytes(1 << 20)).encode();
    let mut written: u64 = 0;
    let mut peak = before;
    let t = Instant::now();
    // Write 1 MiB messages and never read their echoes, until the writes block (the server
    // stopped reading: back-pressure), the server drops us (its write timeout), or 256 MiB
    // went through (it kept reading and buffering: the failure).
    let ended = loop {
        match c.stream.write(&msg) {
            Ok(n) => written += n as u64,
            Err(e) if client::is_timeout(&e) => break "blocked",
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => break "dropped by the server",
        }
        peak = peak.max(rss(&server));
        if written > 256 << 20 {
            break "never blocked";
        }
    };
    let block_time = t.elapsed();
    peak = peak.max(rss(&server));
    println!(
        "never-reading client: {} KiB written, then {ended} after {block_time:?}; \
         server RSS {before} KiB before, peak {peak} KiB (+{} KiB)",
        written / 1024,
        peak.saturating_sub(before)
    );
    // What the kernel buffers on both sides of a loopback connection, and a message or two.
    assert!(
        written < 64 << 20,
        "the server kept reading ({written} bytes, {ended}) from a client that never reads"
    );
    assert!(
        peak < before + 48 * 1024,
        "server RSS grew by {} KiB for one client that never reads",
        peak - before
    );
    // The write timeout (3 s) drops the connection. Still without reading (reading would
    // let the server's writes progress): once the server has closed, our writes fail.
    let t = Instant::now();
    c.stream
        .set_write_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let dropped = loop {
        match c.stream.write(&[0]) {
            Err(e) if !client::is_timeout(&e) && e.kind() != ErrorKind::Interrupted => break true,
            _ if t.elapsed() > Duration::from_secs(10) => break false,
            _ => thread::sleep(Duration::from_millis(100)),
        }
    };
    println!(
        "never-reading client dropped by the server {:?} after blocking",
        t.elapsed()
    );
    assert!(
        dropped,
        "the server kept a connection whose writes made no progress for 10 s"
    );
    let (worst, _) = prober.finish();
    assert!(
        worst < RESPONSIVE,
        "another client waited {worst:?} for a pong"
    );
}

/// A raw request and whether the server may answer it at all (garbage may just be dropped).
fn invalid_requests(t: &Target) -> Vec<(&'static str, Vec<u8>)> {
    let key = client::random_key();
    let good = client::upgrade_request(t, &key, &[]);
    let mut v: Vec<(&'static str, Vec<u8>)> = vec![
        ("random bytes", rng::bytes(1024)),
        ("a TLS ClientHello", {
            let mut b = vec![
                0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03,
            ];
            b.extend(rng::bytes(300));
            b
        }),
        ("NUL bytes", vec![0; 512]),
        ("only CRLFs", b"\r\n".repeat(200)),
        (
            "a request line without version",
            format!("GET {}\r\n\r\n", t.path).into_bytes(),
        ),
        (
            "lower-case method",
            good.replacen("GET", "get", 1).into_bytes(),
        ),
        (
            "HTTP/2 preface",
            b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec(),
        ),
        ("HTTP/0.9", format!("GET {}\r\n", t.path).into_bytes()),
        (
            "no Host",
            good.replacen(&format!("Host: {}\r\n", t.host), "", 1)
                .into_bytes(),
        ),
        (
            "header without colon",
            good.replacen("Upgrade: websocket", "Upgrade websocket", 1)
                .into_bytes(),
        ),
        (
            "NUL in a header value",
            good.replacen("Upgrade: websocket", "Upgrade: web\0socket", 1)
                .into_bytes(),
        ),
        (
            "Sec-WebSocket-Version: 13abc",
            good.replacen("Version: 13", "Version: 13abc", 1)
                .into_bytes(),
        ),
        (
            "a 23-character key",
            good.replacen(&key, &key[..23], 1).into_bytes(),
        ),
        (
            "a key with 17 bytes",
            good.replacen(&key, "AQIDBAUGBwgJCgsMDQ4PEBE=", 1)
                .into_bytes(),
        ),
        (
            "Upgrade: h2c",
            good.replacen("Upgrade: websocket", "Upgrade: h2c", 1)
                .into_bytes(),
        ),
    ];
    let mut pad = String::new();
    while pad.len() < 64 * 1024 {
        pad.push_str(&format!("X-Pad-{}: {}\r\n", pad.len(), "a".repeat(100)));
    }
    v.push((
        "64 KiB of headers",
        good.replacen("\r\n\r\n", &format!("\r\n{pad}\r\n"), 1)
            .into_bytes(),
    ));
    v.push((
        "one 64 KiB header line",
        good.replacen(
            "\r\n\r\n",
            &format!("\r\nX-Long: {}\r\n\r\n", "b".repeat(64 * 1024)),
            1,
        )
        .into_bytes(),
    ));
    v.push((
        "a 64 KiB request target",
        good.replacen(&t.path, &format!("{}?{}", t.path, "c".repeat(64 * 1024)), 1)
            .into_bytes(),
    ));
    v.push((
        "10,000 headers",
        good.replacen(
            "\r\n\r\n",
            &format!("\r\n{}\r\n", "A: b\r\n".repeat(10_000)),
            1,
        )
        .into_bytes(),
    ));
    v
}

#[test]
fn invalid_handshakes_never_open_a_websocket() {
    let _g = serial();
    let server = start(&["--handshake-timeout", "3s"]);
    let target = server.echo();
    let mut summary = Vec::new();
    let mut wrong = Vec::new();
    for (what, bytes) in invalid_requests(&target) {
        let mut s = client::tcp(&target).unwrap();
        // The server may close while we write a long request: that is a fine refusal.
        let _ = s.write_all(&bytes);
        let _ = s.write_all(&Frame::text("not a websocket").encode());
        let mut got = Vec::new();
        let mut buf = [0u8; 8192];
        let t = Instant::now();
        s.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        // Read what comes back until the server closes, or 5 s.
        let closed = loop {
            match s.read(&mut buf) {
                Ok(0) => break true,
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) if client::is_timeout(&e) => {}
                Err(_) => break true,
            }
            if t.elapsed() > Duration::from_secs(5) {
                break false;
            }
        };
        let head = String::from_utf8_lossy(&got);
        let status = head
            .strip_prefix("HTTP/1.1 ")
            .and_then(|s| s.get(..3))
            .unwrap_or("---")
            .to_string();
        summary.push(format!(
            "{what}: {status}{}",
            if closed { ", closed" } else { ", open" }
        ));
        if got.starts_with(b"HTTP/1.1 101") {
            wrong.push(format!("{what}: the server upgraded"));
        } else if got.windows(15).any(|w| w == b"not a websocket") {
            wrong.push(format!("{what}: a frame was echoed"));
        } else if !(status == "---" || status.starts_with('4') || status.starts_with('5')) {
            wrong.push(format!("{what}: status {status}"));
        }
    }
    println!("invalid handshakes:\n  {}", summary.join("\n  "));
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // The server is still there for a real client.
    let mut c = Conn::open(&target).expect("a valid handshake after the invalid ones");
    c.stream
        .write_all(&Frame::text("still here").encode())
        .unwrap();
    assert!(matches!(c.next_event(), Event::Frame(f) if f.payload == b"still here"));
}

#[test]
fn ten_thousand_idle_connections() {
    let _g = serial();
    const N: usize = 10_000;
    // Our side needs N sockets too, and the server (our child) inherits our hard limit: raise
    // the hard limit where we may (root), then the soft one to it.
    let want = (N + 1000) as u64;
    if let Ok((soft, hard)) = rlimit::getrlimit(rlimit::Resource::NOFILE) {
        if hard < want {
            let _ = rlimit::setrlimit(rlimit::Resource::NOFILE, soft, want);
        }
    }
    let limit = rlimit::increase_nofile_limit(u64::MAX).expect("raise RLIMIT_NOFILE");
    assert!(
        limit >= (N + 200) as u64,
        "RLIMIT_NOFILE can only be raised to {limit}: not enough for {N} connections"
    );
    let server = start(&["--max-connections", "10100"]);
    let target = server.echo();
    // Warm up: a few connections, so that the baseline includes the runtime's steady state.
    let warm: Vec<Conn> = (0..16).map(|_| Conn::open(&target).unwrap()).collect();
    drop(warm);
    thread::sleep(Duration::from_millis(300));
    let before = rss(&server);
    let t = Instant::now();
    let mut conns: Vec<TcpStream> = Vec::with_capacity(N);
    // Batches of 100 (below the listen backlog, so that no SYN is dropped and retried a
    // second later): connect and send every request, then read every response.
    for batch in 0..N / 100 {
        let mut pending = Vec::new();
        for _ in 0..100 {
            let mut s = client::tcp(&target)
                .unwrap_or_else(|e| panic!("connection {}: {e}", conns.len() + pending.len()));
            let key = client::random_key();
            s.write_all(client::upgrade_request(&target, &key, &[]).as_bytes())
                .unwrap();
            pending.push((s, key));
        }
        for (mut s, key) in pending {
            let (resp, rest) =
                client::read_response(&mut s).unwrap_or_else(|e| panic!("batch {batch}: {e}"));
            client::check_upgrade(&resp, &key).unwrap();
            assert!(rest.is_empty());
            conns.push(s);
        }
    }
    let open_time = t.elapsed();
    thread::sleep(Duration::from_millis(500));
    let after = rss(&server);
    let hwm = proc_status_kib(server.pid(), "VmHWM:").unwrap_or(0);
    let per_conn = (after.saturating_sub(before) as f64) * 1024.0 / N as f64;
    println!(
        "{N} idle WebSocket connections opened in {open_time:?}: server RSS {before} KiB -> \
         {after} KiB (peak {hwm} KiB): {per_conn:.0} bytes per connection"
    );
    // Every one of them is alive: a sample answers a ping.
    for s in conns.iter_mut().step_by(997) {
        s.write_all(&Frame::ping("alive?").encode()).unwrap();
        let mut c = Conn::from_parts(s.try_clone().unwrap(), Vec::new());
        // The server's own keepalive pings may come first.
        loop {
            match c.next_event() {
                Event::Frame(f) if f.opcode == op::PING => continue,
                Event::Frame(f) if f.opcode == op::PONG && f.payload == b"alive?" => break,
                other => panic!("an idle connection answered {other:?}"),
            }
        }
    }
    // A new client is still served.
    let mut c = Conn::open(&target).expect("a new client with 10,000 idle ones");
    c.stream
        .write_all(&Frame::text("one more").encode())
        .unwrap();
    assert!(matches!(c.next_event(), Event::Frame(f) if f.payload == b"one more"));
    assert!(
        per_conn < 64.0 * 1024.0,
        "{per_conn:.0} bytes of server memory per idle connection"
    );
    drop(conns);
}
