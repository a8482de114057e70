//! `wsprism-server`: see `--help`, and `server/README.md`.

use std::io::Write as _;
use std::process::ExitCode;

use tracing_subscriber::EnvFilter;
use wsprism_server::{Config, Server};

fn main() -> ExitCode {
    let config = match Config::from_args(std::env::args_os()) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&config.log_level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();

    // Every connection is a file descriptor: take all the kernel allows this process.
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => {
            tracing::debug!(limit, "open file limit");
            if (limit as usize) < config.max_connections.saturating_add(64) {
                tracing::warn!(
                    limit,
                    max_connections = config.max_connections,
                    "the open file limit is below --max-connections"
                );
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not raise the open file limit"),
    }

    let threads = config.threads.map(usize::from).unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    // One worker: the current-thread scheduler does the same job without the multi-thread
    // one's synchronisation (atomics on every wake, the injection queue, the idle/steal
    // protocol), which is measurable on small messages (bench/README.md).
    let mut builder = if threads == 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(threads);
        b
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("wsprism-server: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(async {
        let listen = config.listen;
        let server = match Server::bind(config).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("wsprism-server: cannot listen on {listen}: {e}");
                return ExitCode::FAILURE;
            }
        };
        let addr = match server.local_addr() {
            Ok(a) => a,
            Err(e) => {
                eprintln!("wsprism-server: {e}");
                return ExitCode::FAILURE;
            }
        };
        // Handlers first: a SIGTERM right after the line below must find them installed.
        let stop = match stop_signal() {
            Ok(stop) => stop,
            Err(e) => {
                eprintln!("wsprism-server: cannot handle signals: {e}");
                return ExitCode::FAILURE;
            }
        };
        // The contract with scripts and tests: this is the first line on stdout.
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "listening on http://{addr}");
        let _ = stdout.flush();
        drop(stdout);
        tracing::info!(%addr, "listening");
        server.run(stop).await;
        tracing::info!("stopped");
        ExitCode::SUCCESS
    });
    // Tasks still stuck after the grace period are dropped with the runtime.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    code
}

/// Installs the SIGINT and SIGTERM handlers; the future resolves on either signal.
fn stop_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM"),
            _ = int.recv() => tracing::info!("SIGINT"),
        }
    })
}
