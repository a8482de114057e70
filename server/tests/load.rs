//! 1,000 concurrent connections each echo 100 messages: nothing lost, nothing reordered.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::Server;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use wsprism::{encoder, Decoder, Message, OpCode, Role};

const CONNECTIONS: usize = 1000;
const MESSAGES: usize = 100;

/// One client: connects, sends its 100 messages in bursts (without waiting for answers, so
/// the server sees many messages per read), and checks every answer in order.
async fn client(addr: SocketAddr, id: usize, start: std::sync::Arc<tokio::sync::Barrier>) -> usize {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    s.set_nodelay(true).unwrap();
    let req = common::upgrade_request(addr, "/echo", "");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::with_capacity(64 * 1024);
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let mut chunk = [0u8; 1024];
        let n = s.read(&mut chunk).await.unwrap();
        assert!(n > 0, "closed during handshake");
        buf.extend_from_slice(&chunk[..n]);
    };
    assert!(buf.starts_with(b"HTTP/1.1 101 "), "client {id}");
    buf.drain(..head_end);
    // Everybody is connected before anybody sends: 1,000 live connections at once.
    start.wait().await;

    let (mut rd, mut wr) = s.into_split();
    let writer = tokio::spawn(async move {
        let mut out = Vec::new();
        for m in 0..MESSAGES {
            let key = ((id as u32) << 8 | m as u32).to_be_bytes();
            let text = format!("client {id} message {m}");
            encoder::encode_frame(&mut out, OpCode::Text, true, Some(key), text.as_bytes());
            if m % 10 == 9 {
                wr.write_all(&out).await.unwrap();
                out.clear();
            }
        }
        wr
    });
    let mut dec = Decoder::new(Role::Client);
    let mut next = 0;
    let mut start_at = 0;
    loop {
        while start_at < buf.len() {
            let (used, msg) = dec.decode(&mut buf[start_at..]).expect("valid frames");
            let got = match msg {
                Some(Message::Text(t)) => Some(t.to_owned()),
                Some(other) => panic!("client {id}: unexpected {other:?}"),
                None => None,
            };
            start_at += used;
            if let Some(t) = got {
                assert_eq!(
                    t,
                    format!("client {id} message {next}"),
                    "lost or reordered"
                );
                next += 1;
            }
        }
        buf.clear();
        start_at = 0;
        if next == MESSAGES {
            break;
        }
        let mut chunk = [0u8; 16 * 1024];
        let n = rd.read(&mut chunk).await.unwrap();
        assert!(n > 0, "client {id}: closed after {next} messages");
        buf.extend_from_slice(&chunk[..n]);
    }
    let mut wr = writer.await.unwrap();

    // Close cleanly: the server answers 1000 and closes.
    let mut close = Vec::new();
    encoder::encode_close(
        &mut close,
        Some([9, 9, 9, 9]),
        wsprism::CloseCode::NORMAL,
        "",
    );
    wr.write_all(&close).await.unwrap();
    next
}

// Both schedulers: `--threads 1` is tokio's current-thread one (what a one-core machine or a
// pinned server gets by default), 2 the multi-thread one.
#[test]
fn thousand_connections_each_echo_a_hundred_messages_in_order_on_one_thread() {
    thousand_connections(&["--threads", "1"]);
}

#[test]
fn thousand_connections_each_echo_a_hundred_messages_in_order_on_two_threads() {
    thousand_connections(&["--threads", "2"]);
}

fn thousand_connections(args: &[&str]) {
    // The test process needs a descriptor per connection too.
    let (_soft, hard) = rlimit::getrlimit(rlimit::Resource::NOFILE).unwrap();
    assert!(
        hard >= 2 * CONNECTIONS as u64 + 64,
        "hard open-file limit {hard} is too low"
    );
    rlimit::increase_nofile_limit(u64::MAX).unwrap();

    let server = Server::start(args);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let total = rt.block_on(async {
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(CONNECTIONS));
        let tasks: Vec<_> = (0..CONNECTIONS)
            .map(|id| tokio::spawn(client(server.addr, id, barrier.clone())))
            .collect();
        let mut total = 0;
        for t in tasks {
            total += tokio::time::timeout(Duration::from_secs(60), t)
                .await
                .expect("a client hung")
                .expect("a client failed");
        }
        total
    });
    assert_eq!(total, CONNECTIONS * MESSAGES);
    assert_eq!(
        server.metric("wsprism_websocket_connections_total{endpoint=\"echo\"}"),
        CONNECTIONS as u64
    );
    assert!(
        server.metric("wsprism_messages_received_total{endpoint=\"echo\"}")
            >= (CONNECTIONS * MESSAGES) as u64
    );
}
