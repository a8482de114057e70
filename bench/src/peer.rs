//! What the peer echo servers (`src/bin/peer-*.rs`) share: the `--listen ADDR` argument and
//! the first stdout line `listening on http://ADDR`, the same contract as `wsprism-server`,
//! so that `run-load.sh` starts every server the same way.

use std::io::Write as _;
use std::net::SocketAddr;

use tokio::net::TcpListener;

/// The command line of a peer echo server.
#[derive(Debug, clap::Parser)]
pub struct PeerArgs {
    /// Address and port to listen on (port 0 picks any free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
}

/// Binds `--listen`, raises the open-file limit (10,000 idle connections are measured) and
/// prints `listening on http://ADDR` with the bound address as the first line on stdout.
pub async fn bind() -> std::io::Result<TcpListener> {
    let args = <PeerArgs as clap::Parser>::parse();
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    let listener = TcpListener::bind(args.listen).await?;
    let addr = listener.local_addr()?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on http://{addr}")?;
    stdout.flush()?;
    Ok(listener)
}
