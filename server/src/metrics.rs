//! Counters for `/metrics`, kept in atomics and rendered by hand in the Prometheus text
//! exposition format (version 0.0.4): `# HELP`, `# TYPE`, then one sample per line.
//!
//! Connections add their message and byte counts in batches (once per read, not once per
//! message), so the hot path touches shared cache lines rarely.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};

/// The WebSocket endpoints, used as the `endpoint` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `/echo`
    Echo = 0,
    /// `/chat`
    Chat = 1,
    /// `/inspect`
    Inspect = 2,
}

impl Endpoint {
    /// Every endpoint, in label order.
    pub const ALL: [Endpoint; 3] = [Endpoint::Echo, Endpoint::Chat, Endpoint::Inspect];

    /// The label value (and URL path without the slash).
    pub const fn name(self) -> &'static str {
        match self {
            Endpoint::Echo => "echo",
            Endpoint::Chat => "chat",
            Endpoint::Inspect => "inspect",
        }
    }
}

/// Who sent the first close frame of a closing handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Initiator {
    /// The server (shutdown, protocol error, policy, a command of /inspect).
    Server = 0,
    /// The client.
    Client = 1,
}

/// Why a connection ended without a complete closing handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// The client closed TCP (or reset it) without a close frame: code 1006 on its side.
    Eof = 0,
    /// A write made no progress within the write timeout.
    WriteTimeout = 1,
    /// No sign of life within the pong timeout after a ping.
    PongTimeout = 2,
    /// The client did not answer the server's close frame in time.
    CloseTimeout = 3,
    /// A socket error.
    IoError = 4,
}

impl DropReason {
    const ALL: [DropReason; 5] = [
        DropReason::Eof,
        DropReason::WriteTimeout,
        DropReason::PongTimeout,
        DropReason::CloseTimeout,
        DropReason::IoError,
    ];
    const fn name(self) -> &'static str {
        match self {
            DropReason::Eof => "eof",
            DropReason::WriteTimeout => "write-timeout",
            DropReason::PongTimeout => "pong-timeout",
            DropReason::CloseTimeout => "close-timeout",
            DropReason::IoError => "io-error",
        }
    }
}

/// Handshake rejection reasons: the codec's `HandshakeError::kind()` values, plus
/// `not-found` (an unknown WebSocket path is not counted here: it is a plain 404).
const REJECTION_KINDS: [&str; 11] = [
    "method",
    "http-version",
    "host",
    "upgrade",
    "connection",
    "key-missing",
    "key-invalid",
    "version-missing",
    "version",
    "origin",
    "other",
];

/// Close codes with their own counter: 1000-1015. Others share one (`code="other"`).
const CLOSE_CODES: usize = 16;

#[derive(Default)]
struct PerEndpoint {
    open: AtomicI64,
    total: AtomicU64,
    msgs_in: AtomicU64,
    msgs_out: AtomicU64,
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
}

/// Every counter the server exports.
#[derive(Default)]
pub struct Metrics {
    tcp_open: AtomicI64,
    tcp_total: AtomicU64,
    tcp_refused: AtomicU64,
    endpoints: [PerEndpoint; 3],
    rejections: [AtomicU64; REJECTION_KINDS.len()],
    /// `[initiator][code - 1000 | other]`
    closes: [[AtomicU64; CLOSE_CODES + 1]; 2],
    drops: [AtomicU64; 5],
    /// permessage-deflate: `[in, out]` payload bytes saved by compression.
    deflate_saved: [AtomicU64; 2],
}

/// Per-connection counts, added to the shared ones in one go by [`Metrics::add_traffic`].
#[derive(Debug, Default, Clone, Copy)]
pub struct Traffic {
    /// Messages (data messages and control frames) received.
    pub msgs_in: u64,
    /// Messages (data messages and control frames) sent.
    pub msgs_out: u64,
    /// Wire bytes received.
    pub bytes_in: u64,
    /// Wire bytes sent.
    pub bytes_out: u64,
    /// permessage-deflate: inflated minus compressed size of the messages received.
    pub deflate_saved_in: u64,
    /// permessage-deflate: original minus compressed size of the messages sent.
    pub deflate_saved_out: u64,
}

impl Metrics {
    /// A TCP connection was accepted (and counts against the limit until its guard drops).
    pub fn tcp_opened(&self) {
        self.tcp_open.fetch_add(1, Relaxed);
        self.tcp_total.fetch_add(1, Relaxed);
    }

    /// A TCP connection ended.
    pub fn tcp_closed(&self) {
        self.tcp_open.fetch_sub(1, Relaxed);
    }

    /// A TCP connection was refused because of the connection limit.
    pub fn tcp_refused(&self) {
        self.tcp_refused.fetch_add(1, Relaxed);
    }

    /// A WebSocket connection started on `ep`.
    pub fn ws_opened(&self, ep: Endpoint) {
        let e = &self.endpoints[ep as usize];
        e.open.fetch_add(1, Relaxed);
        e.total.fetch_add(1, Relaxed);
    }

    /// A WebSocket connection on `ep` ended.
    pub fn ws_closed(&self, ep: Endpoint) {
        self.endpoints[ep as usize].open.fetch_sub(1, Relaxed);
    }

    /// Adds a connection's traffic since its last report, then clears it.
    pub fn add_traffic(&self, ep: Endpoint, t: &mut Traffic) {
        let e = &self.endpoints[ep as usize];
        for (counter, v) in [
            (&e.msgs_in, t.msgs_in),
            (&e.msgs_out, t.msgs_out),
            (&e.bytes_in, t.bytes_in),
            (&e.bytes_out, t.bytes_out),
            (&self.deflate_saved[0], t.deflate_saved_in),
            (&self.deflate_saved[1], t.deflate_saved_out),
        ] {
            if v != 0 {
                counter.fetch_add(v, Relaxed);
            }
        }
        *t = Traffic::default();
    }

    /// A handshake was refused; `kind` is `HandshakeError::kind()`.
    pub fn rejected(&self, kind: &str) {
        let i = REJECTION_KINDS
            .iter()
            .position(|k| *k == kind)
            .unwrap_or(REJECTION_KINDS.len() - 1);
        self.rejections[i].fetch_add(1, Relaxed);
    }

    /// A closing handshake started with `code` (1005 when the frame had no code).
    pub fn close_started(&self, by: Initiator, code: u16) {
        let i = match code {
            1000..=1015 => (code - 1000) as usize,
            _ => CLOSE_CODES,
        };
        self.closes[by as usize][i].fetch_add(1, Relaxed);
    }

    /// A connection ended without a complete closing handshake.
    pub fn dropped(&self, why: DropReason) {
        self.drops[why as usize].fetch_add(1, Relaxed);
    }

    /// Connections currently open on `ep`.
    pub fn open(&self, ep: Endpoint) -> i64 {
        self.endpoints[ep as usize].open.load(Relaxed)
    }

    /// The Prometheus text exposition of every counter.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        let w = &mut out;
        family(
            w,
            "wsprism_tcp_connections_open",
            "gauge",
            "TCP connections open (HTTP and WebSocket).",
        );
        sample(
            w,
            "wsprism_tcp_connections_open",
            &[],
            self.tcp_open.load(Relaxed),
        );
        family(
            w,
            "wsprism_tcp_connections_total",
            "counter",
            "TCP connections accepted.",
        );
        sample(
            w,
            "wsprism_tcp_connections_total",
            &[],
            self.tcp_total.load(Relaxed),
        );
        family(
            w,
            "wsprism_tcp_connections_refused_total",
            "counter",
            "TCP connections refused at the connection limit.",
        );
        sample(
            w,
            "wsprism_tcp_connections_refused_total",
            &[],
            self.tcp_refused.load(Relaxed),
        );

        type Get = fn(&PerEndpoint) -> i64;
        let per_endpoint: [(&str, &str, &str, Get); 6] = [
            (
                "wsprism_websocket_connections_open",
                "gauge",
                "WebSocket connections open.",
                |e| e.open.load(Relaxed),
            ),
            (
                "wsprism_websocket_connections_total",
                "counter",
                "WebSocket connections opened.",
                |e| e.total.load(Relaxed) as i64,
            ),
            (
                "wsprism_messages_received_total",
                "counter",
                "Messages and control frames received.",
                |e| e.msgs_in.load(Relaxed) as i64,
            ),
            (
                "wsprism_messages_sent_total",
                "counter",
                "Messages and control frames sent.",
                |e| e.msgs_out.load(Relaxed) as i64,
            ),
            (
                "wsprism_bytes_received_total",
                "counter",
                "WebSocket wire bytes received (after the handshake).",
                |e| e.bytes_in.load(Relaxed) as i64,
            ),
            (
                "wsprism_bytes_sent_total",
                "counter",
                "WebSocket wire bytes sent (after the handshake).",
                |e| e.bytes_out.load(Relaxed) as i64,
            ),
        ];
        for (name, kind, help, get) in per_endpoint {
            family(w, name, kind, help);
            for ep in Endpoint::ALL {
                sample(
                    w,
                    name,
                    &[("endpoint", ep.name())],
                    get(&self.endpoints[ep as usize]),
                );
            }
        }

        let name = "wsprism_deflate_bytes_saved_total";
        family(
            w,
            name,
            "counter",
            "permessage-deflate: payload bytes saved by compression (uncompressed minus compressed size).",
        );
        for (dir, v) in [
            ("in", &self.deflate_saved[0]),
            ("out", &self.deflate_saved[1]),
        ] {
            sample(w, name, &[("direction", dir)], v.load(Relaxed) as i64);
        }

        let name = "wsprism_closes_total";
        family(
            w,
            name,
            "counter",
            "Closing handshakes by who sent the first close frame and its code (1005: none given).",
        );
        for (by, label) in [(Initiator::Server, "server"), (Initiator::Client, "client")] {
            for (i, c) in self.closes[by as usize].iter().enumerate() {
                let v = c.load(Relaxed);
                let code = if i < CLOSE_CODES {
                    (1000 + i).to_string()
                } else {
                    "other".into()
                };
                sample(w, name, &[("initiator", label), ("code", &code)], v as i64);
            }
        }

        let name = "wsprism_connection_drops_total";
        family(
            w,
            name,
            "counter",
            "WebSocket connections that ended without a complete closing handshake, by reason.",
        );
        for d in DropReason::ALL {
            sample(
                w,
                name,
                &[("reason", d.name())],
                self.drops[d as usize].load(Relaxed) as i64,
            );
        }

        let name = "wsprism_handshake_rejections_total";
        family(
            w,
            name,
            "counter",
            "Opening handshakes refused, by the rule that failed.",
        );
        for (i, kind) in REJECTION_KINDS.iter().enumerate() {
            sample(
                w,
                name,
                &[("reason", kind)],
                self.rejections[i].load(Relaxed) as i64,
            );
        }
        out
    }
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

fn sample(out: &mut String, name: &str, labels: &[(&str, &str)], value: impl std::fmt::Display) {
    out.push_str(name);
    if !labels.is_empty() {
        out.push('{');
        for (i, (k, v)) in labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            // Label values here are fixed ASCII names without quotes or backslashes.
            let _ = write!(out, "{k}=\"{v}\"");
        }
        out.push('}');
    }
    let _ = writeln!(out, " {value}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_has_help_type_and_samples() {
        let m = Metrics::default();
        m.ws_opened(Endpoint::Chat);
        m.rejected("version");
        m.rejected("something-new");
        m.close_started(Initiator::Client, 1000);
        m.close_started(Initiator::Server, 4000);
        let mut t = Traffic {
            msgs_in: 3,
            msgs_out: 2,
            bytes_in: 30,
            bytes_out: 20,
            deflate_saved_in: 700,
            deflate_saved_out: 900,
        };
        m.add_traffic(Endpoint::Echo, &mut t);
        assert_eq!(t.msgs_in, 0);
        let text = m.render();
        for line in [
            "# TYPE wsprism_websocket_connections_open gauge",
            "wsprism_websocket_connections_open{endpoint=\"chat\"} 1",
            "wsprism_messages_received_total{endpoint=\"echo\"} 3",
            "wsprism_deflate_bytes_saved_total{direction=\"in\"} 700",
            "wsprism_deflate_bytes_saved_total{direction=\"out\"} 900",
            "wsprism_bytes_sent_total{endpoint=\"echo\"} 20",
            "wsprism_handshake_rejections_total{reason=\"version\"} 1",
            "wsprism_handshake_rejections_total{reason=\"other\"} 1",
            "wsprism_closes_total{initiator=\"client\",code=\"1000\"} 1",
            "wsprism_closes_total{initiator=\"server\",code=\"other\"} 1",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in\n{text}"
            );
        }
        // Every sample belongs to a family announced with HELP and TYPE.
        for l in text.lines().filter(|l| !l.starts_with('#')) {
            let name = l.split(['{', ' ']).next().unwrap();
            assert!(text.contains(&format!("# TYPE {name} ")), "{name}");
            assert!(text.contains(&format!("# HELP {name} ")), "{name}");
        }
    }
}
