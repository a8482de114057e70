//! `wsprism-load`: a WebSocket load generator for echo servers (ours and the peers of
//! `run-load.sh`).
//!
//! The client is the wsprism codec in [`wsprism::Role::Client`] on a raw tokio `TcpStream`
//! in a single-threaded runtime, so that the load generator spends as little of its core as
//! possible: every frame is pre-masked once (see [`wsprism_bench::load::Pattern`]), and each
//! echoed byte is compared with what was sent. Modes:
//!
//! - `echo`: `--conns` connections each send a binary message of `--size` bytes and await
//!   its echo, with `--inflight` messages in flight (1 = ping-pong, more = pipelined), for
//!   `--warmup` then `--duration` seconds; messages/s and latency percentiles cover the
//!   measured window only.
//!   `--payload compressible|random` picks what the messages carry; `--deflate` offers
//!   permessage-deflate, compresses every message (RSV1, masked) and inflates every echo.
//! - `handshake`: `--conns` tasks open a connection, do the opening handshake (checking
//!   `Sec-WebSocket-Accept`), and drop it with a TCP reset (no TIME_WAIT pile-up), in a loop.
//! - `idle`: opens `--conns` connections (handshake and one 20-byte echo each), lets them
//!   sit, and reports the server's RSS growth per connection from `/proc/PID/status`.
//!
//! The last line on stdout is `RESULT key=value ...` for scripts; anything wrong (a byte
//! that differs, an unexpected frame, a refused handshake) exits non-zero.

use std::cell::RefCell;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::rc::Rc;
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use hdrhistogram::Histogram;
use tokio::task::{JoinSet, LocalSet};
use wsprism_bench::load::{self, BoxError, Pattern, Payload, Window};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Mode {
    Echo,
    Handshake,
    Idle,
}

/// `--payload`: what the echo messages carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum PayloadArg {
    /// A cheap arithmetic byte pattern.
    Pattern,
    /// JSON-like text repeated (compresses well).
    Compressible,
    /// Seeded random bytes (incompressible).
    Random,
}

impl From<PayloadArg> for Payload {
    fn from(p: PayloadArg) -> Payload {
        match p {
            PayloadArg::Pattern => Payload::Pattern,
            PayloadArg::Compressible => Payload::Compressible,
            PayloadArg::Random => Payload::Random,
        }
    }
}

#[derive(Debug, Parser)]
#[command(about = "WebSocket echo load generator (wsprism codec as the client)")]
struct Args {
    /// Server address.
    #[arg(long)]
    addr: SocketAddr,
    /// Request path of the WebSocket endpoint.
    #[arg(long, default_value = "/echo")]
    path: String,
    #[arg(long, value_enum, default_value = "echo")]
    mode: Mode,
    /// Connections (echo, idle) or concurrent handshaking tasks (handshake).
    #[arg(long, default_value_t = 1)]
    conns: usize,
    /// Payload bytes of each message (echo).
    #[arg(long, default_value_t = 20)]
    size: usize,
    /// Messages in flight per connection (echo): 1 is ping-pong.
    #[arg(long, default_value_t = 1)]
    inflight: usize,
    /// Seconds of warm-up before the measured window.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Seconds measured.
    #[arg(long, default_value_t = 5.0)]
    duration: f64,
    /// What the messages carry (echo).
    #[arg(long, value_enum, default_value = "pattern")]
    payload: PayloadArg,
    /// Offer permessage-deflate (RFC 7692), compress every message and inflate every echo
    /// (echo); fails if the server declines.
    #[arg(long)]
    deflate: bool,
    /// The server's process id (idle: its RSS is read from /proc/PID/status; echo and
    /// handshake: its CPU time over the measured window, from /proc/PID/stat).
    #[arg(long)]
    server_pid: Option<u32>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    // 10,000 idle connections need as many descriptors: take the hard limit.
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("wsprism-load: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Connection tasks are local (spawn_local): they share one latency histogram.
    let result = LocalSet::new().block_on(&runtime, async {
        match args.mode {
            Mode::Echo => echo(&args).await,
            Mode::Handshake => handshake(&args).await,
            Mode::Idle => idle(&args).await,
        }
    });
    match result {
        Ok(line) => {
            println!("RESULT {line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("wsprism-load: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Opens `n` connections, at most 100 handshakes at a time.
async fn open_many(args: &Args, n: usize) -> Result<Vec<load::Conn>, BoxError> {
    let mut conns = Vec::with_capacity(n);
    let mut set = JoinSet::new();
    let mut next = 0;
    while conns.len() < n {
        while next < n && set.len() < 100 {
            let (addr, path) = (args.addr, args.path.clone());
            let deflate = args.deflate;
            set.spawn(async move { load::connect_with(addr, &path, deflate).await });
            next += 1;
        }
        match set.join_next().await {
            Some(r) => conns.push(r??),
            None => break,
        }
    }
    Ok(conns)
}

fn histogram() -> Histogram<u64> {
    // Nanoseconds from 1 ns to 100 s, three significant digits.
    Histogram::new_with_bounds(1, 100_000_000_000, 3).expect("valid histogram bounds")
}

fn percentiles(h: &Histogram<u64>) -> String {
    let us = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    format!(
        "p50_us={:.1} p99_us={:.1} p999_us={:.1} max_us={:.1}",
        us(0.5),
        us(0.99),
        us(0.999),
        h.max() as f64 / 1000.0
    )
}

async fn echo(args: &Args) -> Result<String, BoxError> {
    if args.size == 0 || args.inflight == 0 || args.conns == 0 {
        return Err("--conns, --size and --inflight must be positive".into());
    }
    let conns = open_many(args, args.conns).await?;
    let start = Instant::now() + Duration::from_millis(50);
    let window = Window {
        start: start + Duration::from_secs_f64(args.warmup),
        end: start + Duration::from_secs_f64(args.warmup + args.duration),
    };
    let hist = Rc::new(RefCell::new(histogram()));
    let mut set = JoinSet::new();
    for (i, conn) in conns.into_iter().enumerate() {
        let pattern = Pattern::with_payload(args.size, i as u32, args.payload.into());
        let (inflight, deflate) = (args.inflight, args.deflate);
        let mut conn = conn;
        let hist = hist.clone();
        set.spawn_local(async move {
            tokio::time::sleep_until(start.into()).await;
            let run = async {
                if deflate {
                    load::run_echo_deflate(&mut conn, &pattern, inflight, window, &hist).await
                } else {
                    load::run_echo(&mut conn, &pattern, inflight, window, &hist).await
                }
            };
            // A stuck server must not hang the benchmark.
            let deadline = window.end + Duration::from_secs(30);
            let result = match tokio::time::timeout_at(deadline.into(), run).await {
                Ok(r) => r,
                Err(_) => Err("timed out waiting for echoes".into()),
            };
            conn.reset();
            result
        });
    }
    let cpu = server_cpu(args.server_pid, window);
    let mut messages = 0u64;
    while let Some(r) = set.join_next().await {
        messages += r??;
    }
    // Every task has ended: this is the last reference.
    let hist = Rc::into_inner(hist)
        .ok_or("a task still holds the histogram")?
        .into_inner();
    let secs = window.end.duration_since(window.start).as_secs_f64();
    let cpu = cpu_report(cpu, secs, messages).await?;
    Ok(format!(
        "mode=echo conns={} size={} inflight={} payload={:?} deflate={} messages={messages} msgs_per_s={:.0} mib_per_s={:.1} {}{cpu}",
        args.conns,
        args.size,
        args.inflight,
        args.payload,
        args.deflate,
        messages as f64 / secs,
        messages as f64 * args.size as f64 / secs / (1 << 20) as f64,
        percentiles(&hist),
    ))
}

async fn handshake(args: &Args) -> Result<String, BoxError> {
    let start = Instant::now();
    let window = Window {
        start: start + Duration::from_secs_f64(args.warmup),
        end: start + Duration::from_secs_f64(args.warmup + args.duration),
    };
    let hist = Rc::new(RefCell::new(histogram()));
    let mut set = JoinSet::new();
    for _ in 0..args.conns.max(1) {
        let (addr, path) = (args.addr, args.path.clone());
        let hist = hist.clone();
        set.spawn_local(async move {
            let mut count = 0u64;
            loop {
                let t0 = Instant::now();
                if t0 >= window.end {
                    return Ok::<_, BoxError>(count);
                }
                let conn = load::connect(addr, &path).await?;
                let t1 = Instant::now();
                conn.reset();
                if t0 >= window.start && t1 < window.end {
                    count += 1;
                    hist.borrow_mut().record((t1 - t0).as_nanos() as u64)?;
                }
            }
        });
    }
    let cpu = server_cpu(args.server_pid, window);
    let mut count = 0u64;
    while let Some(r) = set.join_next().await {
        count += r??;
    }
    // Every task has ended: this is the last reference.
    let hist = Rc::into_inner(hist)
        .ok_or("a task still holds the histogram")?
        .into_inner();
    let secs = window.end.duration_since(window.start).as_secs_f64();
    let cpu = cpu_report(cpu, secs, count).await?;
    Ok(format!(
        "mode=handshake conns={} handshakes={count} handshakes_per_s={:.0} {}{cpu}",
        args.conns,
        count as f64 / secs,
        percentiles(&hist),
    ))
}

/// The server's CPU time (user + system ticks) over the measured window: what a message or
/// a handshake costs the server, a figure that still tells servers apart when the load
/// generator is the bottleneck.
fn server_cpu(
    pid: Option<u32>,
    window: Window,
) -> Option<tokio::task::JoinHandle<Result<u64, BoxError>>> {
    pid.map(|pid| {
        tokio::spawn(async move {
            tokio::time::sleep_until(window.start.into()).await;
            let before = load::cpu_ticks(pid)?;
            tokio::time::sleep_until(window.end.into()).await;
            Ok::<_, BoxError>(load::cpu_ticks(pid)? - before)
        })
    })
}

/// ` server_cpu_pct=.. server_cpu_us_per_msg=..` for the result line (per handshake in
/// handshake mode: the field keeps its name so that scripts read one key), or nothing.
async fn cpu_report(
    cpu: Option<tokio::task::JoinHandle<Result<u64, BoxError>>>,
    secs: f64,
    count: u64,
) -> Result<String, BoxError> {
    let Some(task) = cpu else {
        return Ok(String::new());
    };
    let cpu_s = task.await?? as f64 / load::TICKS_PER_SEC;
    Ok(format!(
        " server_cpu_pct={:.1} server_cpu_us_per_msg={:.2}",
        100.0 * cpu_s / secs,
        1e6 * cpu_s / count.max(1) as f64
    ))
}

async fn idle(args: &Args) -> Result<String, BoxError> {
    let pid = args.server_pid.ok_or("--mode idle needs --server-pid")?;
    let before = load::rss_kib(pid)?;
    let mut conns = open_many(args, args.conns).await?;
    // One small echo each, so that servers that allocate on first use are counted too.
    for (i, conn) in conns.iter_mut().enumerate() {
        conn.echo_once(&Pattern::new(20, i as u32)).await?;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = load::rss_kib(pid)?;
    let n = conns.len();
    for conn in conns {
        conn.reset();
    }
    let per_conn = (after.saturating_sub(before)) as f64 * 1024.0 / n as f64;
    Ok(format!(
        "mode=idle conns={n} rss_before_kib={before} rss_after_kib={after} bytes_per_conn={per_conn:.0}"
    ))
}
