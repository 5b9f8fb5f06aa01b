"""Run the GitHub simulator as a standalone server."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from aiohttp import web

from simulators.github.simulator import GitHubSimulator

logger = logging.getLogger("simulators.github")


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m simulators.github",
        description="Serve a simulated GitHub REST API and send the app's webhooks.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind")
    parser.add_argument("--port", type=int, default=8765, help="TCP port to bind")
    parser.add_argument("--app-id", type=int, required=True, help="the app's id")
    parser.add_argument(
        "--public-key-file",
        type=Path,
        required=True,
        help="PEM file with the app's public key, which checks its JWTs",
    )
    parser.add_argument(
        "--webhook-secret", required=True, help="secret that signs webhooks"
    )
    parser.add_argument(
        "--webhook-url", default=None, help="URL that receives the webhooks"
    )
    parser.add_argument(
        "--app-slug", default="cite", help="the app's slug; its bot is <slug>[bot]"
    )
    parser.add_argument(
        "--repository",
        action="append",
        default=[],
        metavar="OWNER/NAME[=DIR]",
        help="create a repository, with the files under DIR in its first commit,"
        " and install the app on OWNER (an organization); repeatable",
    )
    return parser.parse_args(argv)


def add_repositories(simulator: GitHubSimulator, specs: list[str]) -> None:
    """Create the repositories that --repository options name."""
    installed: set[str] = set()
    for spec in specs:
        full_name, _, directory = spec.partition("=")
        owner, _, name = full_name.partition("/")
        if not owner or not name:
            raise SystemExit(f"invalid --repository {spec!r}: expected OWNER/NAME")
        if owner.lower() not in installed:
            simulator.add_installation(owner)
            installed.add(owner.lower())
        files = {}
        if directory:
            root = Path(directory)
            files = {
                path.relative_to(root).as_posix(): path.read_bytes()
                for path in sorted(root.rglob("*"))
                if path.is_file()
            }
        simulator.add_repository(owner, name, files=files)
        logger.info("created repository %s/%s with %d files", owner, name, len(files))


def main(argv: list[str] | None = None) -> None:
    arguments = parse_arguments(argv)
    logging.basicConfig(level=logging.INFO)
    simulator = GitHubSimulator(
        app_id=arguments.app_id,
        app_public_key_pem=arguments.public_key_file.read_text(),
        webhook_secret=arguments.webhook_secret,
        webhook_url=arguments.webhook_url,
        app_slug=arguments.app_slug,
        base_url=f"http://{arguments.host}:{arguments.port}",
    )
    add_repositories(simulator, arguments.repository)
    web.run_app(simulator.make_app(), host=arguments.host, port=arguments.port)


if __name__ == "__main__":
    main()
