"""A WebSocket echo server that lies: from its --after'th message on, it flips one byte of
every echo. Used by scripts/test.d/62-bench-smoke.sh to show that wsprism-load checks every
echoed byte. Prints `listening on http://ADDR` first, like every server of run-load.sh."""

import argparse
import asyncio
import sys

from websockets.asyncio.server import serve


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--after", type=int, default=100)
    args = parser.parse_args()
    count = 0

    async def handler(ws):
        nonlocal count
        async for message in ws:
            count += 1
            if count > args.after and isinstance(message, bytes) and message:
                i = len(message) // 2
                message = message[:i] + bytes([message[i] ^ 0x01]) + message[i + 1 :]
            await ws.send(message)

    async with serve(handler, "127.0.0.1", 0, compression=None, max_size=None) as server:
        host, port = server.sockets[0].getsockname()[:2]
        print(f"listening on http://{host}:{port}", flush=True)
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
