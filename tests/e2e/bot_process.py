"""Run the bot as a separate process, as one replica of several."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent.parent
STARTED = "Running on "


def free_port() -> int:
    """Return a loopback port that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class BotProcess:
    """One ``python -m bot`` process; its log is collected for assertions."""

    def __init__(self, environment: dict[str, str], identity: str) -> None:
        self.identity = identity
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._environment = {
            **os.environ,
            **environment,
            "PORT": str(self.port),
            "CITE_IDENTITY": identity,
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
        }
        self.log: list[str] = []
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._new_line = asyncio.Condition()

    @property
    def webhook_url(self) -> str:
        return f"{self.url}/webhooks"

    async def start(self) -> None:
        """Start the process and wait until it serves webhooks."""
        self._process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            cwd=ROOT,
            env=self._environment,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        self._reader = asyncio.create_task(self._read_log())
        await self.wait_logged(STARTED)

    async def _read_log(self) -> None:
        assert self._process is not None and self._process.stderr is not None
        async for raw in self._process.stderr:
            line = raw.decode(errors="replace").rstrip()
            self.log.append(line)
            async with self._new_line:
                self._new_line.notify_all()

    def logged(self, text: str) -> bool:
        """Return whether any log line so far contains the text."""
        return any(text in line for line in self.log)

    async def wait_logged(self, text: str, seconds: float = 30) -> None:
        """Wait until a log line contains the text."""
        async with asyncio.timeout(seconds), self._new_line:
            await self._new_line.wait_for(lambda: self.logged(text))

    async def stop(self) -> int:
        """Stop the process gracefully with SIGTERM and return its exit status."""
        return await self._end(signal.SIGTERM)

    async def kill(self) -> int:
        """Kill the process with SIGKILL, as a crash or OOM kill would."""
        return await self._end(signal.SIGKILL)

    async def _end(self, number: int) -> int:
        process = self._process
        if process is None or process.returncode is not None:
            return process.returncode if process else 0
        process.send_signal(number)
        try:
            async with asyncio.timeout(30):
                code = await process.wait()
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
        if self._reader is not None:
            await self._reader
        return code
