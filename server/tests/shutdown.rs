//! Graceful shutdown: on SIGTERM (and SIGINT) every open WebSocket gets close 1001, then the
//! process exits 0.

mod common;

use std::time::{Duration, Instant};

use common::{Client, Msg, Server};

// Once per scheduler: the current-thread one (`--threads 1`) and the multi-thread one.
#[test]
fn sigterm_closes_every_connection_with_1001_then_exits_0_on_one_thread() {
    sigterm_closes_every_connection(&["--threads", "1"]);
}

#[test]
fn sigterm_closes_every_connection_with_1001_then_exits_0_on_two_threads() {
    sigterm_closes_every_connection(&["--threads", "2"]);
}

fn sigterm_closes_every_connection(args: &[&str]) {
    let mut server = Server::start(&[&["--close-timeout", "2s"], args].concat());
    let mut clients: Vec<Client> = Vec::new();
    for path in ["/echo"; 5]
        .into_iter()
        .chain(["/chat"; 3])
        .chain(["/inspect"; 2])
    {
        let mut c = Client::connect(server.addr, path);
        // Prove each connection is live before the signal.
        if path == "/chat" {
            assert!(matches!(c.recv(), Msg::Text(t) if t.contains("welcome")));
        } else {
            c.text("ping?");
            let _ = c.recv();
        }
        clients.push(c);
    }
    // One more client that will not answer the server's close: the server must not wait
    // for it longer than the close timeout.
    let mut mute = Client::connect(server.addr, "/echo");

    server.terminate();
    let t = Instant::now();
    for (i, c) in clients.iter_mut().enumerate() {
        // Chat members may first hear that others left; /inspect gets the close's report.
        assert_eq!(
            c.recv_close(),
            Some((1001, "server shutting down".into())),
            "client {i}"
        );
        c.close(1001, "");
        c.expect_eof();
    }
    assert_eq!(mute.recv_close().map(|c| c.0), Some(1001));
    let status = server.wait(Duration::from_secs(10));
    assert!(status.success(), "exit status {status:?}");
    assert_eq!(status.code(), Some(0));
    let took = t.elapsed();
    // The silent client costs at most the close timeout (2 s) and the lingering bound.
    assert!(took < Duration::from_secs(8), "shutdown took {took:?}");
    mute.expect_eof();
}

#[test]
fn sigint_does_the_same() {
    let mut server = Server::start(&[]);
    let mut c = Client::connect(server.addr, "/echo");
    c.text("x");
    assert_eq!(c.recv(), Msg::Text("x".into()));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(server.pid() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    assert_eq!(
        c.recv(),
        Msg::Close(Some((1001, "server shutting down".into())))
    );
    c.close(1001, "");
    c.expect_eof();
    assert_eq!(server.wait(Duration::from_secs(10)).code(), Some(0));
}

#[test]
fn idle_server_exits_at_once() {
    let mut server = Server::start(&[]);
    let t = Instant::now();
    server.terminate();
    assert_eq!(server.wait(Duration::from_secs(5)).code(), Some(0));
    assert!(t.elapsed() < Duration::from_secs(2));
}
