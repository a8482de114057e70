//! The plain HTTP side: /healthz, /metrics, the playground's files.

mod common;

use common::{Client, Msg, Server};

#[test]
fn healthz_and_metrics() {
    let server = Server::start(&[]);
    let res = server.get("/healthz");
    assert_eq!((res.status, res.body.as_str()), (200, "ok"));
    let mut c = Client::connect(server.addr, "/echo");
    c.text("count me");
    assert_eq!(c.recv(), Msg::Text("count me".into()));
    let res = server.get("/metrics");
    assert_eq!(res.status, 200);
    assert!(res
        .header("content-type")
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    for family in [
        "wsprism_websocket_connections_open",
        "wsprism_messages_received_total",
        "wsprism_bytes_sent_total",
        "wsprism_closes_total",
        "wsprism_handshake_rejections_total",
    ] {
        assert!(res.body.contains(&format!("# TYPE {family} ")), "{family}");
    }
    assert_eq!(
        server.metric("wsprism_websocket_connections_open{endpoint=\"echo\"}"),
        1
    );
    assert!(server.metric("wsprism_messages_received_total{endpoint=\"echo\"}") >= 1);
    assert!(server.metric("wsprism_bytes_received_total{endpoint=\"echo\"}") >= 14);
    c.close(1000, "");
    let _ = c.recv();
    c.expect_eof();
    assert_eq!(
        server.metric("wsprism_closes_total{initiator=\"client\",code=\"1000\"}"),
        1
    );
}

#[test]
fn serves_the_web_dir_or_says_it_is_not_built() {
    let missing = std::env::temp_dir().join(format!("wsprism-no-web-{}", std::process::id()));
    let server = Server::start(&["--web-dir", missing.to_str().unwrap()]);
    let res = server.get("/");
    assert_eq!(res.status, 200);
    assert!(res.header("content-type").unwrap().starts_with("text/html"));
    assert!(res.body.contains("not built"));
    assert_eq!(server.get("/nope.js").status, 404);

    let dir = std::env::temp_dir().join(format!("wsprism-web-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("pkg")).unwrap();
    std::fs::write(dir.join("index.html"), "<h1>playground</h1>").unwrap();
    std::fs::write(dir.join("pkg/wsprism_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    let server = Server::start(&["--web-dir", dir.to_str().unwrap()]);
    let res = server.get("/");
    assert_eq!(
        (res.status, res.body.as_str()),
        (200, "<h1>playground</h1>")
    );
    let res = server.get("/pkg/wsprism_bg.wasm");
    assert_eq!(res.status, 200);
    // Browsers compile wasm streaming only with this type.
    assert_eq!(res.header("content-type"), Some("application/wasm"));
    assert_eq!(server.get("/../Cargo.toml").status, 404);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn help_explains_the_options() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wsprism-server"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for flag in [
        "--listen",
        "--web-dir",
        "--max-message-size",
        "--max-send-queue",
        "--max-connections",
        "--handshake-timeout",
        "--ping-interval",
        "--pong-timeout",
        "--close-timeout",
        "--write-timeout",
        "--allow-origin",
        "--log-level",
    ] {
        assert!(help.contains(flag), "{flag} missing from --help");
    }
}
