//! The command line: every limit and timeout of the server, with defaults that suit the
//! playground (`./scripts/run.sh`) and a production-like deployment alike.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

/// wsprism-server: an RFC 6455 WebSocket server with its own handshake and frame codec.
///
/// Endpoints: /echo, /chat and /inspect (WebSocket), /healthz, /metrics (Prometheus text),
/// and the playground's static files from --web-dir at every other path.
///
/// Durations take a unit: `500ms`, `10s`, `2m` (a bare number means seconds). Sizes take an
/// optional binary unit: `65536`, `64KiB`, `16MiB`.
#[derive(Debug, Clone, Parser)]
#[command(name = "wsprism-server", version)]
#[command(
    after_help = "The first line on stdout is `listening on http://ADDR` with the bound \
address (useful with port 0). Logs go to stderr. SIGINT/SIGTERM close every WebSocket with \
1001 (going away), wait up to --close-timeout for the clients' replies, and exit 0."
)]
pub struct Config {
    /// Address and port to listen on (port 0 picks any free port).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
    pub listen: SocketAddr,

    /// Directory of the playground's static files (with the wasm package inside). If it
    /// does not exist, `/` answers a short page saying the playground is not built.
    #[arg(long, default_value = "web/dist", value_name = "DIR")]
    pub web_dir: PathBuf,

    /// Largest message a client may send (sum of its frames). A larger one closes the
    /// connection with 1009 (message too big).
    #[arg(long, default_value = "16MiB", value_parser = parse_size, value_name = "BYTES")]
    pub max_message_size: u64,

    /// Most bytes queued for one client by /chat broadcasts. A client whose queue would grow
    /// past it (it does not read fast enough) is disconnected with 1008. One message larger
    /// than the limit is still delivered to a client whose queue is empty.
    #[arg(long, default_value = "4MiB", value_parser = parse_size, value_name = "BYTES")]
    pub max_send_queue: u64,

    /// Most simultaneous TCP connections (HTTP and WebSocket). Beyond it new connections
    /// get `503 Service Unavailable` and are closed.
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    pub max_connections: usize,

    /// Time a client has to send a complete HTTP request (the opening handshake), and the
    /// idle limit of a keep-alive HTTP connection.
    #[arg(long, default_value = "10s", value_parser = parse_duration, value_name = "DURATION")]
    pub handshake_timeout: Duration,

    /// Idle time after which the server pings a WebSocket client (0 disables keepalive).
    #[arg(long, default_value = "30s", value_parser = parse_duration, value_name = "DURATION")]
    pub ping_interval: Duration,

    /// Time a pinged client has to show it is alive (its pong, or any other byte), before
    /// the connection is dropped.
    #[arg(long, default_value = "10s", value_parser = parse_duration, value_name = "DURATION")]
    pub pong_timeout: Duration,

    /// Time to wait for the client's close frame after the server sent one (RFC 6455
    /// §7.1.1), and for the client to close TCP after the server's reply.
    #[arg(long, default_value = "5s", value_parser = parse_duration, value_name = "DURATION")]
    pub close_timeout: Duration,

    /// A write that makes no progress for this long (a client that does not read) drops the
    /// connection.
    #[arg(long, default_value = "30s", value_parser = parse_duration, value_name = "DURATION")]
    pub write_timeout: Duration,

    /// An Origin allowed to open WebSockets besides the server's own (`http://` + the
    /// request's Host). Repeat for several; `*` allows any. Requests without Origin
    /// (non-browser clients) are always accepted. Others get 403 (RFC 6455 §10.2).
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    pub allowed_origins: Vec<String>,

    /// permessage-deflate (RFC 7692): `on` accepts a client's offer (the server always
    /// resets its compressor after each message, `server_no_context_takeover`, so an idle
    /// connection keeps no compressor); `off` declines every offer by omission.
    #[arg(long, default_value = "on", value_parser = parse_on_off, value_name = "on|off",
          action = clap::ArgAction::Set)]
    pub deflate: bool,

    /// Also ask clients to reset their compressor after each message
    /// (`client_no_context_takeover`): compression ratio drops for streams of similar
    /// messages, but the server's inflater holds no window between messages (about 43 KiB
    /// less per idle connection that has sent a compressed message).
    #[arg(long)]
    pub deflate_no_context_takeover: bool,

    /// Worker threads of the runtime (default: one per core this process may run on). With
    /// one, the server runs on tokio's single-threaded scheduler: no work stealing, no
    /// cross-thread wakeups, less work per message.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..), value_name = "N")]
    pub threads: Option<u16>,

    /// Log filter for stderr: a level (error, warn, info, debug, trace) or a tracing
    /// directive such as `wsprism_server=debug`. RUST_LOG, when set, wins.
    #[arg(long, default_value = "info", value_name = "FILTER")]
    pub log_level: String,
}

impl Config {
    /// Parses a command line (the first item is the program name).
    pub fn from_args<I, T>(args: I) -> Result<Config, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        Config::try_parse_from(args)
    }
}

/// Parses `16MiB`, `64KiB`, `1GiB`, `512B` or a bare byte count.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a size (e.g. 65536, 64KiB, 16MiB)"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" | "kb" => 1 << 10,
        "m" | "mib" | "mb" => 1 << 20,
        "g" | "gib" | "gb" => 1 << 30,
        other => {
            return Err(format!(
                "unknown size unit `{other}` (use B, KiB, MiB, GiB)"
            ))
        }
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("`{s}` is too large"))
}

/// Parses `on`/`off` (also `true`/`false`, `yes`/`no`, `1`/`0`).
pub fn parse_on_off(s: &str) -> Result<bool, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "on" | "true" | "yes" | "1" => Ok(true),
        "off" | "false" | "no" | "0" => Ok(false),
        _ => Err(format!("`{s}` is neither on nor off")),
    }
}

/// Parses `500ms`, `10s`, `2m` or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a duration (e.g. 500ms, 10s, 2m)"))?;
    match unit.trim() {
        "ms" => Ok(Duration::from_millis(n)),
        "" | "s" => Ok(Duration::from_secs(n)),
        "m" | "min" => n
            .checked_mul(60)
            .map(Duration::from_secs)
            .ok_or_else(|| format!("`{s}` is too long")),
        other => Err(format!("unknown duration unit `{other}` (use ms, s, m)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_durations_parse() {
        assert_eq!(parse_size("16MiB"), Ok(16 << 20));
        assert_eq!(parse_size("64KiB"), Ok(64 << 10));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert!(parse_size("12 parsecs").is_err());
        assert!(parse_size("99999999999GiB").is_err());
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("10"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("1h").is_err());
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let c = Config::from_args(["wsprism-server"]).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.max_message_size, 16 << 20);
        assert_eq!(c.max_connections, 10_000);
        assert_eq!(c.handshake_timeout, Duration::from_secs(10));
        assert_eq!(c.ping_interval, Duration::from_secs(30));
        assert_eq!(c.close_timeout, Duration::from_secs(5));
        assert_eq!(c.web_dir, PathBuf::from("web/dist"));
        assert!(c.allowed_origins.is_empty());
        assert!(c.deflate);
        assert!(!c.deflate_no_context_takeover);
        let c =
            Config::from_args(["x", "--deflate", "off", "--deflate-no-context-takeover"]).unwrap();
        assert!(!c.deflate && c.deflate_no_context_takeover);
        assert!(Config::from_args(["x", "--deflate", "maybe"]).is_err());
        let c = Config::from_args([
            "x",
            "--allow-origin",
            "http://a.example",
            "--allow-origin",
            "*",
        ])
        .unwrap();
        assert_eq!(c.allowed_origins, ["http://a.example", "*"]);
        assert_eq!(c.threads, None); // then: one per core the process may run on
        assert_eq!(
            Config::from_args(["x", "--threads", "3"]).unwrap().threads,
            Some(3)
        );
        assert!(Config::from_args(["x", "--threads", "0"]).is_err());
    }
}
