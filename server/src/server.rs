//! The accept loop, the HTTP routes and graceful shutdown.
//!
//! warp's own `serve` hides hyper's connection, so the loop is ours: each accepted
//! `TcpStream` is served by hyper's HTTP/1 connection with upgrades enabled, with the warp
//! routes as the service. Before a request reaches warp, its upgrade future and connection
//! facts are put into the request's extensions, where the handshake filter finds them.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::header::{HeaderValue, CONTENT_TYPE};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower_service::Service;
use warp::filters::BoxedFilter;
use warp::reply::Response;
use warp::{Filter, Reply};

use crate::chat::Room;
use crate::config::Config;
use crate::conn::Settings;
use crate::handshake::{self, ConnCtx};
use crate::metrics::{Endpoint, Metrics};
use crate::shutdown::Shutdown;

/// What every task of the server shares.
pub struct Shared {
    /// The command line.
    pub config: Config,
    /// Connection limits and timeouts.
    pub settings: Arc<Settings>,
    /// Counters for `/metrics`.
    pub metrics: Arc<Metrics>,
    /// The `/chat` room.
    pub room: Arc<Room>,
    /// Cancelled on SIGINT/SIGTERM (HTTP connections and handshakes watch it).
    pub shutdown: CancellationToken,
    /// Fired with [`shutdown`](Self::shutdown); every WebSocket connection listens to it.
    pub ws_shutdown: Shutdown,
    /// Every connection task, to wait for at shutdown.
    pub tracker: TaskTracker,
    open: AtomicUsize,
}

/// One TCP connection's place under `--max-connections`. Dropping it frees the place.
pub struct ConnGuard {
    shared: Arc<Shared>,
}

impl ConnGuard {
    fn try_new(shared: &Arc<Shared>) -> Option<ConnGuard> {
        let max = shared.config.max_connections;
        shared
            .open
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()?;
        shared.metrics.tcp_opened();
        Some(ConnGuard {
            shared: shared.clone(),
        })
    }
}

impl Drop for ConnGuard {
    fn drop(&mut self) {
        self.shared.open.fetch_sub(1, Ordering::AcqRel);
        self.shared.metrics.tcp_closed();
    }
}

/// Largest request head (request line and headers) accepted.
pub const MAX_HEADER_SIZE: usize = 16 * 1024;

/// A bound server, ready to run.
pub struct Server {
    listener: TcpListener,
    shared: Arc<Shared>,
}

const NOT_BUILT: &str = "<!doctype html>
<html lang=\"en\"><meta charset=\"utf-8\"><title>wsprism</title>
<body style=\"font-family:system-ui,sans-serif;max-width:40em;margin:3em auto\">
<h1>wsprism</h1>
<p>The playground is not built (no <code>index.html</code> in the web directory).
Build it with <code>./scripts/run.sh</code>, or point <code>--web-dir</code> at a built copy.</p>
<p>The WebSocket endpoints work without it: <code>/echo</code>, <code>/chat</code>,
<code>/inspect</code>; and <a href=\"/healthz\">/healthz</a>, <a href=\"/metrics\">/metrics</a>.</p>
</body></html>
";

/// Pending connections the kernel queues before `accept`. The default of 128 drops the
/// SYNs of a burst of connects (the clients then wait a second to retry); the kernel caps
/// it at `net.core.somaxconn` anyway.
const LISTEN_BACKLOG: u32 = 4096;

impl Server {
    /// Binds the listening socket, with a backlog of [`LISTEN_BACKLOG`].
    pub async fn bind(config: Config) -> io::Result<Server> {
        let socket = if config.listen.is_ipv4() {
            TcpSocket::new_v4()?
        } else {
            TcpSocket::new_v6()?
        };
        socket.set_reuseaddr(true)?;
        socket.bind(config.listen)?;
        let listener = socket.listen(LISTEN_BACKLOG)?;
        let settings = Settings {
            max_message_size: config.max_message_size,
            ping_interval: (!config.ping_interval.is_zero()).then_some(config.ping_interval),
            pong_timeout: config.pong_timeout,
            close_timeout: config.close_timeout,
            write_timeout: config.write_timeout,
            // The server always resets its compressor per message: the compressor (about
            // 300 KiB in miniz_oxide) is then built only while sending and freed when the
            // connection goes quiet, so idle connections cost nothing for it.
            deflate: config.deflate.then_some(wsprism::deflate::ServerConfig {
                server_no_context_takeover: true,
                client_no_context_takeover: config.deflate_no_context_takeover,
            }),
        };
        let room = Room::new(usize::try_from(config.max_send_queue).unwrap_or(usize::MAX));
        let shared = Arc::new(Shared {
            config,
            settings: Arc::new(settings),
            metrics: Arc::default(),
            room: Arc::new(room),
            shutdown: CancellationToken::new(),
            ws_shutdown: Shutdown::new(),
            tracker: TaskTracker::new(),
            open: AtomicUsize::new(0),
        });
        Ok(Server { listener, shared })
    }

    /// The address the server listens on (the real port when 0 was asked for).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `stop` resolves, then shuts down gracefully: no new connections, every
    /// WebSocket gets close 1001, and this returns once all connections ended (or after a
    /// grace period of twice the close timeout plus a second).
    pub async fn run(self, stop: impl Future<Output = ()>) {
        let Server { listener, shared } = self;
        let routes = routes(shared.clone());
        tokio::pin!(stop);
        loop {
            let (tcp, peer) = tokio::select! {
                _ = &mut stop => break,
                r = listener.accept() => match r {
                    Ok(conn) => conn,
                    Err(e) => {
                        // EMFILE and friends: back off instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            let Some(guard) = ConnGuard::try_new(&shared) else {
                shared.metrics.tcp_refused();
                tracing::warn!(%peer, "connection limit reached, refusing");
                tokio::spawn(refuse(tcp));
                continue;
            };
            // Our writes are already batched; do not let Nagle hold back the last piece.
            let _ = tcp.set_nodelay(true);
            shared
                .tracker
                .spawn(serve_http(shared.clone(), routes.clone(), tcp, peer, guard));
        }
        drop(listener);
        tracing::info!(
            websockets = Endpoint::ALL
                .iter()
                .map(|e| shared.metrics.open(*e))
                .sum::<i64>(),
            "shutting down: closing every connection with 1001"
        );
        shared.shutdown.cancel();
        shared.ws_shutdown.fire();
        shared.tracker.close();
        let grace = shared.settings.close_timeout * 2 + Duration::from_secs(1);
        if tokio::time::timeout(grace, shared.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!("some connections did not close in time");
        }
    }
}

/// Serves HTTP on one connection until it ends or is upgraded.
async fn serve_http(
    shared: Arc<Shared>,
    routes: BoxedFilter<(Response,)>,
    tcp: TcpStream,
    peer: SocketAddr,
    guard: ConnGuard,
) {
    let guard = Arc::new(Mutex::new(Some(guard)));
    let warp_service = warp::service(routes);
    let service = service_fn(move |mut req: hyper::Request<Incoming>| {
        let upgrade = hyper::upgrade::on(&mut req);
        let ctx = ConnCtx::new(peer, req.version(), upgrade, guard.clone());
        req.extensions_mut().insert(ctx);
        let mut svc = warp_service.clone();
        async move { svc.call(req).await }
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        // A client that sends half a request (or nothing, or idles between requests) is
        // dropped after the handshake timeout.
        .header_read_timeout(shared.config.handshake_timeout)
        // Request line and headers: 16 KiB, as Node's default; more gets 431 and a close.
        // A handshake needs a few hundred bytes.
        .max_header_size(MAX_HEADER_SIZE);
    let conn = builder
        .serve_connection(TokioIo::new(tcp), service)
        .with_upgrades();
    tokio::pin!(conn);
    let result = tokio::select! {
        r = conn.as_mut() => r,
        _ = shared.shutdown.cancelled() => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(e) = result {
        tracing::debug!(%peer, error = %e, "http connection error");
    }
}

/// Answers a connection over the limit with 503 and closes it, reading what the client
/// sent first so that the close does not turn into a reset that destroys the answer.
async fn refuse(mut tcp: TcpStream) {
    const BODY: &str = "connection limit reached, try again later\n";
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n{BODY}",
        BODY.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        tcp.write_all(response.as_bytes()).await?;
        tcp.shutdown().await?;
        let mut scratch = [0u8; 1024];
        while tcp.read(&mut scratch).await? > 0 {}
        Ok::<_, io::Error>(())
    })
    .await;
}

/// Every route: the three WebSocket endpoints, health, metrics, the playground.
fn routes(shared: Arc<Shared>) -> BoxedFilter<(Response,)> {
    let ws = handshake::route(Endpoint::Echo, shared.clone())
        .or(handshake::route(Endpoint::Chat, shared.clone()))
        .unify()
        .or(handshake::route(Endpoint::Inspect, shared.clone()))
        .unify();
    let healthz = warp::path("healthz")
        .and(warp::path::end())
        .and(warp::get().or(warp::head()).unify())
        .map(|| String::from("ok").into_response());
    let metrics_shared = shared.clone();
    let metrics = warp::path("metrics")
        .and(warp::path::end())
        .and(warp::get())
        .map(move || {
            let mut res = metrics_shared.metrics.render().into_response();
            res.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            );
            res
        });
    let files =
        warp::fs::dir(shared.config.web_dir.clone()).map(|f: warp::fs::File| f.into_response());
    // Reached only when the web directory has no index.html.
    let not_built = warp::path::end()
        .and(warp::get().or(warp::head()).unify())
        .map(|| warp::reply::html(String::from(NOT_BUILT)).into_response());
    ws.or(healthz)
        .unify()
        .or(metrics)
        .unify()
        .or(files)
        .unify()
        .or(not_built)
        .unify()
        .boxed()
}
