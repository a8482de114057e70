//! Peer echo server: tokio-websockets, as its `examples/echo_server.rs` recommends
//! (`ServerBuilder::accept`, echo text and binary messages), with its default limits.

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_websockets::ServerBuilder;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let listener = wsprism_bench::peer::bind().await?;
    loop {
        let (stream, _) = listener.accept().await?;
        tokio::spawn(handle(stream));
    }
}

async fn handle(stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let Ok((_request, mut ws)) = ServerBuilder::new().accept(stream).await else {
        return;
    };
    while let Some(Ok(item)) = ws.next().await {
        if (item.is_text() || item.is_binary()) && ws.send(item).await.is_err() {
            return;
        }
    }
}
