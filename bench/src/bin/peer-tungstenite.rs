//! Peer echo server: tokio-tungstenite, as its `examples/echo-server.rs` recommends
//! (`accept_async`, split, forward the text and binary messages back).

use futures_util::{future, StreamExt, TryStreamExt};
use tokio::net::TcpStream;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let listener = wsprism_bench::peer::bind().await?;
    loop {
        let (stream, _) = listener.accept().await?;
        tokio::spawn(accept_connection(stream));
    }
}

async fn accept_connection(stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let Ok(ws) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    let (write, read) = ws.split();
    let _ = read
        .try_filter(|msg| future::ready(msg.is_text() || msg.is_binary()))
        .forward(write)
        .await;
}
