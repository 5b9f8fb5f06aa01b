"""Run Cite against its simulators and play a build-to-live-traffic flow.

``python -m demo`` starts the cluster simulator, the GitHub simulator and the
bot on loopback, pushes two commits of an example repository, and prints every
step as the bot builds each commit in a Job and deploys it. It then stays up
and reads commands from standard input; ``--exit-after-flow`` stops after the
flow instead.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
import tempfile
from pathlib import Path
from typing import Any

from bot.logs import configure_logging
from bot.reporting import DEPLOY_CONTEXT
from demo.narrate import Narrator, cluster_snapshot
from demo.stack import Stack, run_stack
from simulators.cluster import ClusterSettings

OWNER = "octo-org"
REPO = "hello-world"
BUILD_CONTEXT = "cite/build"
CONFIG = """\
# Cite's config: two pods listening on 8080, Ready when /healthz responds.
port: 8080
replicas: 2
readiness_path: /healthz
resources:
  cpu: 250m
  memory: 256Mi
"""
HELP = """\
Commands:
  push [BRANCH] [MESSAGE]   push a commit, which Cite builds (default: main)
  build SHA|BRANCH [STATE]  report cite/build as STATE (default: success)
  crash [BRANCH]            push a commit whose image crash-loops
  state                     print Services and releases
  help                      print this list
  quit                      stop everything
"""


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m demo", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--exit-after-flow",
        action="store_true",
        help="stop after the example flow instead of waiting for commands",
    )
    parser.add_argument(
        "--verbose", action="store_true", help="also print the bot's own log lines"
    )
    parser.add_argument(
        "--ready-delay",
        type=float,
        default=1.0,
        help="seconds a simulated pod takes to become Ready (default: 1.0)",
    )
    parser.add_argument(
        "--build-delay",
        type=float,
        default=2.0,
        help="seconds a simulated build Job runs (default: 2.0)",
    )
    parser.add_argument(
        "--ports",
        type=int,
        nargs=3,
        default=(0, 0, 0),
        metavar=("CLUSTER", "GITHUB", "BOT"),
        help="loopback ports of the cluster, GitHub and the bot (default: free ports)",
    )
    return parser.parse_args(argv)


def say(text: str) -> None:
    print(f"\n== {text}", flush=True)


async def build(
    stack: Stack, narrator: Narrator, sha: str, state: str = "success"
) -> str:
    """Report a build result as an outside builder would; wait for the deploy."""
    say(f"The builder reports {BUILD_CONTEXT} {state} for {sha[:7]}")
    await stack.github.create_status(OWNER, REPO, sha, state, context=BUILD_CONTEXT)
    if state != "success":
        return state

    def final(github) -> str | None:
        for status in reversed(github.statuses(OWNER, REPO, sha)):
            if status["context"] == DEPLOY_CONTEXT and status["state"] != "pending":
                return status["state"]
        return None

    result = await stack.github.wait_for(
        final, timeout=stack.settings.ready_timeout + 60
    )
    await stack.github.wait_idle()
    narrator.print_new()
    return result


async def follow_push(stack: Stack, narrator: Narrator, sha: str) -> str:
    """Wait for Cite's build of a pushed commit and, after a success, its deploy."""

    def final(context: str) -> Any:
        def check(github: Any) -> str | None:
            for status in reversed(github.statuses(OWNER, REPO, sha)):
                if status["context"] == context and status["state"] != "pending":
                    return status["state"]
            return None

        return check

    timeout = stack.settings.build_deadline + stack.settings.ready_timeout + 60
    built = await stack.github.wait_for(final(BUILD_CONTEXT), timeout=timeout)
    result = built
    if built == "success":
        result = await stack.github.wait_for(final(DEPLOY_CONTEXT), timeout=timeout)
    await stack.github.wait_idle()
    narrator.print_new()
    return result


async def play_flow(stack: Stack, narrator: Narrator) -> bool:
    """Deploy two commits one after the other; return whether both went live."""
    say(f"Installing the app on {OWNER} and creating {OWNER}/{REPO}")
    stack.github.add_installation(OWNER)
    stack.github.add_repository(
        OWNER, REPO, files={".github/cite.yml": CONFIG, "app.py": "print('v1')\n"}
    )
    results = []
    for version in ("v1", "v2"):
        say(f"Pushing {version} to main; Cite builds it in a Job, then deploys it")
        sha = await stack.github.push(
            OWNER,
            REPO,
            "main",
            {"app.py": f"print('{version}')\n"},
            f"Ship {version} 🚀",
        )
        results.append(await follow_push(stack, narrator, sha))
        say(f"{version} ({sha[:7]}): cite/deploy {results[-1]}")
    return results == ["success", "success"]


async def run_command(stack: Stack, narrator: Narrator, line: str) -> bool:
    """Carry out one console command; return False to quit."""
    words = line.split()
    if not words:
        return True
    command, arguments = words[0], words[1:]
    repository = stack.github.repository(OWNER, REPO)
    if command == "quit":
        return False
    if command == "push":
        branch = arguments[0] if arguments else "main"
        message = " ".join(arguments[1:]) or f"Change {branch}"
        count = len(repository.commits)
        sha = await stack.github.push(
            OWNER, REPO, branch, {"app.py": f"print({count})\n"}, message
        )
        print(f"pushed {sha[:7]} to {branch}; Cite builds it", flush=True)
    elif command == "crash":
        branch = arguments[0] if arguments else "main"
        config = CONFIG + 'image: "registry.example/crashloop:{sha}"\n'
        sha = await stack.github.push(
            OWNER, REPO, branch, {".github/cite.yml": config}, "Use a broken image"
        )
        print(f"pushed {sha[:7]} to {branch}; run: build {sha[:7]}", flush=True)
    elif command == "build" and arguments:
        ref = arguments[0]
        sha = repository.branches.get(ref) or next(
            (full for full in repository.commits if full.startswith(ref)), None
        )
        if sha is None:
            print(f"no branch or commit {ref!r}", flush=True)
        else:
            state = arguments[1] if len(arguments) > 1 else "success"
            await build(stack, narrator, sha, state)
    elif command == "state":
        for text in sorted(cluster_snapshot(stack).values()):
            print(text, flush=True)
    else:
        print(HELP, end="", flush=True)
    return True


async def console(stack: Stack, narrator: Narrator) -> None:
    """Read commands from standard input until quit or end of input."""
    print(HELP, end="", flush=True)
    while True:
        line = await asyncio.to_thread(sys.stdin.readline)
        if not line:
            return
        try:
            if not await run_command(stack, narrator, line):
                return
        except Exception as error:  # a typo must not end the demo
            print(f"command failed: {error}", flush=True)


async def main(arguments: argparse.Namespace) -> int:
    configure_logging("INFO" if arguments.verbose else "WARNING", "text")
    logging.getLogger("simulators").setLevel(logging.WARNING)
    settings = ClusterSettings(
        pod_ready_delay=arguments.ready_delay,
        pod_start_delay=arguments.ready_delay / 2,
        job_pod_run_delay=arguments.build_delay,
    )
    with tempfile.TemporaryDirectory(prefix="cite-demo-") as workdir:
        async with run_stack(
            Path(workdir), cluster_settings=settings, ports=tuple(arguments.ports)
        ) as stack:
            print(
                f"cluster simulator {stack.cluster_url}\n"
                f"GitHub simulator  {stack.github_url}\n"
                f"Cite bot          {stack.bot_url}/webhooks\n"
                f"kubeconfig        {stack.kubeconfig}",
                flush=True,
            )
            narrator = Narrator(stack, sys.stdout)
            narration = narrator.start()
            try:
                succeeded = await play_flow(stack, narrator)
                if arguments.exit_after_flow:
                    return 0 if succeeded else 1
                say("The flow is done; Cite keeps running. Type commands:")
                await console(stack, narrator)
                return 0
            finally:
                for task in narration:
                    task.cancel()
                await asyncio.gather(*narration, return_exceptions=True)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(asyncio.run(main(parse_arguments(sys.argv[1:]))))
