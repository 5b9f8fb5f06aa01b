"""The demo plays its flow to live traffic and prints each step."""

from __future__ import annotations

import asyncio
import io
import os
import sys
from pathlib import Path

from demo.__main__ import play_flow, run_command
from demo.narrate import Narrator

ROOT = Path(__file__).parent.parent


async def test_flow_reaches_live_traffic(stack):
    out = io.StringIO()
    narrator = Narrator(stack, out)

    succeeded = await play_flow(stack, narrator)

    text = out.getvalue()
    assert succeeded
    assert "created deployment" in text
    assert "in_progress: Starting release hello-world--main-" in text
    assert "commit status cite/deploy success" in text
    assert "Service cite-octo-org/hello-world--main selects release" in text
    assert "build Job cite-builds/hello-world-main-" in text
    assert "commit status cite/build success" in text
    assert ", standby since " in text
    assert ": 2/2 pods Ready, live" in text


async def test_console_commands(stack, capsys):
    narrator = Narrator(stack, io.StringIO())
    await play_flow(stack, narrator)

    assert await run_command(stack, narrator, "crash main")
    sha = stack.github.repository("octo-org", "hello-world").branches["main"]
    assert await run_command(stack, narrator, f"build {sha[:7]}")
    assert await run_command(stack, narrator, "state")
    assert await run_command(stack, narrator, "build nowhere")
    assert await run_command(stack, narrator, "help")
    assert not await run_command(stack, narrator, "quit")

    printed = capsys.readouterr().out
    assert f"pushed {sha[:7]} to main" in printed
    assert "no branch or commit 'nowhere'" in printed
    assert "Commands:" in printed
    crash = [
        status
        for status in stack.github.statuses("octo-org", "hello-world", sha)
        if status["context"] == "cite/deploy"
    ]
    assert crash[-1]["state"] == "failure"
    assert "CrashLoopBackOff" in crash[-1]["description"]


async def test_demo_command_exits_after_flow():
    environment = {**os.environ, "NO_PROXY": "127.0.0.1,localhost", "TZ": "UTC"}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "demo",
        "--exit-after-flow",
        "--ready-delay",
        "0.02",
        "--build-delay",
        "0.05",
        cwd=ROOT,
        env=environment,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=50)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    output = stdout.decode()
    assert process.returncode == 0, stderr.decode()
    assert "== v1 (" in output
    assert "== v2 (" in output
    assert output.count("): cite/deploy success") == 2
    assert output.count("github -> push webhook") == 2
    assert "commit status cite/build pending on " in output
    assert "commit status cite/build success on " in output
    assert ": succeeded" in output
