"""permessage-deflate (RFC 7692) between wsprism-server and Python `websockets`.

Run: python3 -m unittest discover -s tests/interop/python -v
websockets compresses every message once the extension is agreed, and checks the server's
answer to its offer (a bad answer fails the handshake), so these tests show both that the
negotiation is valid and that compressed frames travel correctly in both directions.
"""

import asyncio
import unittest
import urllib.request

from websockets.asyncio.client import connect
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory

from harness import Payloads, Server

STEP = 60.0
MAX_MESSAGE = 16 << 20


def open_ws(server, **kwargs):
    options = dict(
        compression="deflate",
        max_size=None,
        proxy=None,
        ping_interval=None,
        open_timeout=STEP,
        close_timeout=STEP,
    )
    options.update(kwargs)
    return connect(server.url(), **options)


def compressible(n: int) -> bytes:
    line = b"the quick brown fox jumps over the lazy dog. "
    return (line * (n // len(line) + 1))[:n]


def metric(server, sample: str) -> int:
    url = f"http://{server.host}:{server.port}/metrics"
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(url, timeout=STEP) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(sample + " "):
                return int(line.split()[-1])
    raise AssertionError(f"no sample {sample}")


class DeflateTest(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        asyncio.get_running_loop().slow_callback_duration = STEP
        self.server = await Server.start()
        self.addAsyncCleanup(self.server.stop)

    async def echo(self, ws, message, what):
        await asyncio.wait_for(ws.send(message), STEP)
        got = await asyncio.wait_for(ws.recv(), STEP)
        self.assertIs(type(got), type(message), f"{what}: type")
        if got != message:
            self.fail(f"{what}: echoed {len(got)}, sent {len(message)}")

    async def test_negotiated_and_messages_of_every_size_echo(self):
        p = Payloads(0x5EED0D01)
        async with open_ws(self.server) as ws:
            answer = ws.response.headers["Sec-WebSocket-Extensions"]
            self.assertTrue(answer.startswith("permessage-deflate"), answer)
            self.assertIn("server_no_context_takeover", answer)
            names = [e.name for e in ws.protocol.extensions]
            self.assertEqual(names, ["permessage-deflate"])
            for size in [0, 1, 31, 32, 125, 1000, 65536, 1 << 20]:
                await self.echo(ws, p.text(size), f"text of {size}")
                await self.echo(ws, p.bytes(size), f"random binary of {size}")
                await self.echo(ws, compressible(size), f"compressible binary of {size}")
            # At the server's limit: compressible (about 16 KiB on the wire) and random
            # (slightly more than 16 MiB once compressed by the client).
            await self.echo(ws, compressible(MAX_MESSAGE), "16 MiB compressible")
            await self.echo(ws, p.bytes(MAX_MESSAGE), "16 MiB random")
            await asyncio.wait_for(ws.close(), STEP)
            self.assertEqual(ws.close_code, 1000)
        self.assertGreater(metric(self.server, 'wsprism_deflate_bytes_saved_total{direction="in"}'), 16_000_000)
        self.assertGreater(metric(self.server, 'wsprism_deflate_bytes_saved_total{direction="out"}'), 16_000_000)

    async def test_client_no_context_takeover_and_limit(self):
        server = await Server.start("--max-message-size", "1MiB", "--deflate-no-context-takeover")
        self.addAsyncCleanup(server.stop)
        async with open_ws(server) as ws:
            answer = ws.response.headers["Sec-WebSocket-Extensions"]
            self.assertIn("client_no_context_takeover", answer)
            for _ in range(3):
                await self.echo(ws, compressible(100_000), "repeated message")
            # A message that inflates past the limit: 1009 (a tiny frame on the wire).
            await ws.send(bytes(2 << 20))
            with self.assertRaises(Exception):
                await asyncio.wait_for(ws.recv(), STEP)
            self.assertEqual(ws.close_code, 1009)

    async def test_a_small_server_window_is_echoed_and_kept(self):
        # websockets inflates with zlib at exactly the window it asked for (wbits=-9 here):
        # a back-reference further than 512 bytes fails its decompression, so every echo
        # checks that the server kept to the window.
        factory = ClientPerMessageDeflateFactory(server_max_window_bits=9)
        async with open_ws(self.server, compression=None, extensions=[factory]) as ws:
            answer = ws.response.headers["Sec-WebSocket-Extensions"]
            self.assertIn("server_max_window_bits=9", answer)
            p = Payloads(0x5EED0D02)
            for size in [100, 4096, 65536, 1 << 20]:
                await self.echo(ws, compressible(size), f"compressible binary of {size}")
                await self.echo(ws, p.text(size), f"text of {size}")
            await asyncio.wait_for(ws.close(), STEP)
            self.assertEqual(ws.close_code, 1000)


if __name__ == "__main__":
    unittest.main()
