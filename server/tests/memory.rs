//! Bounded memory: a client that stops reading cannot make the server grow.
//!
//! The server's resident set size (VmRSS in /proc/PID/status) is sampled while a client
//! pushes 200 MiB at it. Without backpressure the server would buffer what it cannot send:
//! hundreds of MiB. With it, it holds at most one frame being read plus its output batch,
//! and the rest waits in kernel socket buffers (not part of the process's RSS).

mod common;

use std::io::{Read, Write};
use std::net::Shutdown;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Client, Msg, Server};
use wsprism::OpCode;

const TOTAL: u64 = 200 << 20;

/// Sends `frame` repeatedly until `TOTAL` bytes went out or the socket is shut down;
/// counts the bytes the kernel accepted.
fn pump(mut stream: std::net::TcpStream, frame: Vec<u8>, sent: Arc<AtomicU64>) {
    while sent.load(Ordering::Relaxed) < TOTAL {
        // Whole frames only: count after each complete write.
        if stream.write_all(&frame).is_err() {
            return;
        }
        sent.fetch_add(frame.len() as u64, Ordering::Relaxed);
    }
}

/// Samples the server's RSS until the sender makes no progress for `quiet` (it is blocked:
/// the server stopped reading) or has sent everything. Returns the peak.
fn peak_rss_while_pumping(server: &Server, sent: &AtomicU64, quiet: Duration) -> u64 {
    let mut peak = server.rss_kib();
    let mut last = (sent.load(Ordering::Relaxed), Instant::now());
    let limit = Instant::now() + Duration::from_secs(60);
    loop {
        std::thread::sleep(Duration::from_millis(50));
        peak = peak.max(server.rss_kib());
        let now = sent.load(Ordering::Relaxed);
        if now >= TOTAL {
            return peak;
        }
        if now != last.0 {
            last = (now, Instant::now());
        } else if last.1.elapsed() >= quiet {
            return peak;
        }
        assert!(
            Instant::now() < limit,
            "the sender neither finished nor stalled"
        );
    }
}

#[test]
fn echo_client_that_never_reads_keeps_server_memory_bounded() {
    let server = Server::start(&["--write-timeout", "60s"]);
    // Warm up the paths a big message takes (buffers, allocator arenas), then measure.
    let mut warm = Client::connect(server.addr, "/echo");
    warm.send(OpCode::Binary, true, &vec![1u8; 1 << 20]);
    assert!(matches!(warm.recv(), Msg::Binary(b) if b.len() == 1 << 20));
    drop(warm);
    std::thread::sleep(Duration::from_millis(200));
    let before = server.rss_kib();

    let mut c = Client::connect(server.addr, "/echo");
    let frame = c.frame(OpCode::Binary, true, &vec![7u8; 1 << 20]);
    let sent = Arc::new(AtomicU64::new(0));
    let stream = c.stream.try_clone().unwrap();
    let pumper = {
        let sent = sent.clone();
        std::thread::spawn(move || pump(stream, frame, sent))
    };
    let peak = peak_rss_while_pumping(&server, &sent, Duration::from_secs(2));
    let pushed = sent.load(Ordering::Relaxed);
    c.stream.shutdown(Shutdown::Both).unwrap();
    pumper.join().unwrap();

    let growth_kib = peak.saturating_sub(before);
    eprintln!(
        "echo: client pushed {} MiB of 200 before stalling; server RSS {before} KiB -> peak {peak} KiB (+{growth_kib} KiB)",
        pushed >> 20
    );
    // The server stopped reading when it could not write: the client could not push it all.
    assert!(
        pushed < TOTAL / 4,
        "no backpressure: {pushed} bytes accepted"
    );
    // Bound: one 1 MiB frame in the read buffer (its echo is written from there, not
    // copied) + 64 KiB output batch, plus allocator and stack slack: 8 MiB. Buffering what
    // it cannot send would cost up to `pushed`, tens of MiB.
    assert!(growth_kib < 8 * 1024, "server grew by {growth_kib} KiB");

    // And it still serves others.
    let mut other = Client::connect(server.addr, "/echo");
    other.text("fine");
    assert_eq!(other.recv(), Msg::Text("fine".into()));
}

#[test]
fn chat_reader_that_never_reads_is_dropped_and_memory_stays_bounded() {
    // 64 KiB messages: 3,200 of them make the 200 MiB.
    const MSG: usize = 64 << 10;
    const COUNT: u64 = TOTAL / MSG as u64;
    // The talker stays at most this many messages ahead of the reader that keeps up, so
    // only the stalled client can ever fill its queue.
    const WINDOW: u64 = 16;
    let server = Server::start(&["--max-send-queue", "4MiB", "--write-timeout", "2s"]);
    let mut stalled = Client::connect(server.addr, "/chat");
    assert!(matches!(stalled.recv(), Msg::Text(t) if t.contains("welcome")));
    let mut reader = Client::connect(server.addr, "/chat");
    let mut talker = Client::connect(server.addr, "/chat");
    std::thread::sleep(Duration::from_millis(200));
    let before = server.rss_kib();

    let received = Arc::new(AtomicU64::new(0));
    let reader_thread = {
        let received = received.clone();
        std::thread::spawn(move || {
            let mut saw_kick = false;
            while received.load(Ordering::Relaxed) < COUNT {
                match reader.recv() {
                    Msg::Text(t) if t.contains("\"type\":\"message\"") => {
                        assert_eq!(
                            t.len(),
                            MSG + r#"{"from":3,"text":"","type":"message"}"#.len()
                        );
                        received.fetch_add(1, Ordering::Relaxed);
                    }
                    Msg::Text(t) if t.contains("too-slow") => saw_kick = true,
                    _ => {}
                }
            }
            saw_kick
        })
    };
    let frame = talker.frame(OpCode::Text, true, "m".repeat(MSG).as_bytes());
    let sent = Arc::new(AtomicU64::new(0));
    let mut stream = talker.stream.try_clone().unwrap();
    let pumper = {
        let (sent, received) = (sent.clone(), received.clone());
        std::thread::spawn(move || {
            for i in 0..COUNT {
                let deadline = Instant::now() + Duration::from_secs(30);
                while i >= received.load(Ordering::Relaxed) + WINDOW {
                    assert!(
                        Instant::now() < deadline,
                        "the reader stopped receiving at {i}"
                    );
                    std::thread::sleep(Duration::from_millis(1));
                }
                stream.write_all(&frame).unwrap();
                sent.fetch_add(MSG as u64, Ordering::Relaxed);
            }
        })
    };
    let peak = peak_rss_while_pumping(&server, &sent, Duration::from_secs(5));
    pumper.join().unwrap();
    let saw_kick = reader_thread.join().unwrap();
    let growth_kib = peak.saturating_sub(before);
    eprintln!("chat: server RSS {before} KiB -> peak {peak} KiB (+{growth_kib} KiB)");

    // The reader got every message although one member never read anything.
    assert_eq!(received.load(Ordering::Relaxed), COUNT);
    assert!(
        saw_kick,
        "the reader was told the stalled client left as too slow"
    );
    // Bound: the stalled client's queue (4 MiB), the reader's window (1 MiB) and the
    // talker's read buffer, with slack: 16 MiB, where an unbounded queue would hold up to
    // 200 MiB for the stalled client.
    assert!(growth_kib < 16 * 1024, "server grew by {growth_kib} KiB");

    // The stalled client finds what was queued for it, then the 1008 close or the end of
    // the connection (its socket was full, so the close frame may never have fitted).
    let mut rest = Vec::new();
    let _ = stalled.stream.read_to_end(&mut rest);
    assert!(
        rest.len() < 64 << 20,
        "the stalled client was sent at most its buffers' worth"
    );
    // It was closed with 1008 or, when even the close frame could not be written, dropped
    // at the write timeout.
    let closed = server.metric("wsprism_closes_total{initiator=\"server\",code=\"1008\"}");
    let dropped = server.metric("wsprism_connection_drops_total{reason=\"write-timeout\"}");
    assert_eq!(closed + dropped, 1, "closed {closed}, dropped {dropped}");
}
