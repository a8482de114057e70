"""Runs the real wsprism-server binary for the Python interop tests, and makes payloads.

The binary is WSPRISM_SERVER_BIN if set (the interop stage sets it), otherwise
<workspace>/target/debug/wsprism-server after `cargo build -p wsprism-server` (a no-op when it
is up to date). Every server listens on 127.0.0.1:0 and is killed when its test ends.
"""

import asyncio
import functools
import os
import random
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PREFIX = "listening on http://"
STARTUP_TIMEOUT = 20.0


@functools.cache
def server_binary() -> Path:
    env = os.environ.get("WSPRISM_SERVER_BIN")
    if env:
        return Path(env)
    # Build (a no-op when up to date) so a stale binary is never tested.
    subprocess.run(["cargo", "build", "-p", "wsprism-server"], cwd=ROOT, check=True)
    return Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "debug" / "wsprism-server"


class Server:
    """A wsprism-server child process; use `await Server.start()` and `await stop()`."""

    def __init__(self, proc, host, port, stderr_file):
        self.proc = proc
        self.host = host
        self.port = port
        self._stderr = stderr_file
        self._drain = asyncio.ensure_future(self._drain_stdout())

    @classmethod
    async def start(cls, *args: str) -> "Server":
        stderr_file = tempfile.TemporaryFile()
        proc = await asyncio.create_subprocess_exec(
            str(server_binary()), "--listen", "127.0.0.1:0", *args,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr_file,
        )
        try:
            line = await asyncio.wait_for(proc.stdout.readline(), STARTUP_TIMEOUT)
        except asyncio.TimeoutError:
            line = b""
        text = line.decode(errors="replace").strip()
        if not text.startswith(PREFIX):
            proc.kill()
            await proc.wait()
            stderr_file.seek(0)
            raise RuntimeError(
                f"wsprism-server's first stdout line is {text!r}, not {PREFIX}ADDR; "
                f"stderr:\n{stderr_file.read().decode(errors='replace')}"
            )
        host, _, port = text[len(PREFIX):].rstrip("/").rpartition(":")
        return cls(proc, host, int(port), stderr_file)

    def url(self, path: str = "/echo") -> str:
        return f"ws://{self.host}:{self.port}{path}"

    def stderr(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    async def _drain_stdout(self):
        # Keeps the pipe from filling if the server ever prints more to stdout.
        while await self.proc.stdout.read(4096):
            pass

    async def wait_exit(self, timeout: float = 10.0):
        """The exit code, or None if the process is still running after `timeout` seconds."""
        try:
            return await asyncio.wait_for(self.proc.wait(), timeout)
        except asyncio.TimeoutError:
            return None

    async def stop(self):
        if self.proc.returncode is None:
            self.proc.kill()
        await self.proc.wait()
        self._drain.cancel()
        self._stderr.close()


class Payloads:
    """Seeded pseudo-random payloads: reordering, truncation or corruption shows."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        # Words of 1- to 4-byte characters; texts are random sequences of them, which is fast
        # enough for 16 MiB in Python and still never repeats in a way that hides a reorder.
        self.words = [self._slow_text(self.rng.randrange(1, 40)) for _ in range(4096)]

    def bytes(self, n: int) -> bytes:
        return self.rng.randbytes(n)

    def text(self, n: int) -> str:
        """Valid UTF-8 of exactly n bytes, with multi-byte characters."""
        if n < 256:
            return self._slow_text(n)
        parts, size = [], 0
        while size < n - 64:
            batch = self.rng.choices(self.words, k=max(1, (n - size) // 24))
            for w in batch:
                parts.append(w)
                size += len(w.encode())
                if size >= n - 64:
                    break
        s = "".join(parts)
        b = s.encode()[: n - 40].decode(errors="ignore")  # cut at a character boundary
        out = b + self._slow_text(n - len(b.encode()))
        assert len(out.encode()) == n
        return out

    def _slow_text(self, n: int) -> str:
        out, size = [], 0
        while size < n:
            width = self.rng.randint(1, min(4, n - size))
            out.append(self._char(width))
            size += width
        return "".join(out)

    def _char(self, width: int) -> str:
        lo, hi = {1: (0x20, 0x7F), 2: (0x80, 0x800), 3: (0x800, 0x10000), 4: (0x10000, 0x110000)}[width]
        while True:
            cp = self.rng.randrange(lo, hi)
            if not 0xD800 <= cp <= 0xDFFF:
                return chr(cp)
