"""Start the bot with both simulators on loopback, for the demo and the tests."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.app import make_app
from bot.settings import Settings, load_settings
from simulators.cluster import ClusterSettings, ClusterSimulator
from simulators.github import GitHubSimulator

HOST = "127.0.0.1"
APP_ID = 1001
WEBHOOK_SECRET = "demo-webhook-secret"
# The builder image of the simulated build Jobs; nothing pulls it.
BUILDER_IMAGE = "localhost:5000/kaniko-project/executor:v1.23.2"


@dataclass(frozen=True)
class AppKey:
    """The GitHub App's RSA key pair, as PEM text."""

    private_pem: str
    public_pem: str


def generate_app_key() -> AppKey:
    """Return a new 2048-bit RSA key pair for a simulated GitHub App."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        )
        .decode()
    )
    return AppKey(private_pem, public_pem)


@dataclass
class Stack:
    """The running bot and simulators, with their URLs."""

    github: GitHubSimulator
    cluster: ClusterSimulator
    settings: Settings
    bot_app: web.Application | None
    github_url: str
    cluster_url: str
    bot_url: str | None
    kubeconfig: Path
    # The environment the bot runs with, for starting more replicas.
    bot_environment: dict[str, str]


async def _serve(app: web.Application, port: int) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, HOST, port)
    await site.start()
    bound = runner.addresses[0][1]
    return runner, f"http://{HOST}:{bound}"


def _bind(port: int) -> socket.socket:
    """Bind the bot's socket early, so its URL is known before the settings."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, port))
    return sock


async def _serve_socket(
    app: web.Application, sock: socket.socket
) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    return runner, f"http://{HOST}:{sock.getsockname()[1]}"


@asynccontextmanager
async def run_stack(
    workdir: Path,
    *,
    app_key: AppKey | None = None,
    cluster_settings: ClusterSettings | None = None,
    bot_environment: Mapping[str, str] | None = None,
    ports: tuple[int, int, int] = (0, 0, 0),
    with_bot: bool = True,
) -> AsyncIterator[Stack]:
    """Serve the cluster simulator, the GitHub simulator and the bot on loopback.

    ``ports`` are those of the cluster, GitHub and the bot; 0 picks a free one.
    Without ``with_bot`` only the simulators run, for tests that start bot
    processes themselves. Everything is stopped in reverse order on exit.
    """
    app_key = app_key or generate_app_key()
    cluster = ClusterSimulator(cluster_settings or ClusterSettings())
    cluster_runner, cluster_url = await _serve(cluster.make_app(), ports[0])
    runners = [cluster_runner]
    github: GitHubSimulator | None = None
    bot_socket = _bind(ports[2])
    try:
        kubeconfig = workdir / "kubeconfig"
        cluster.write_kubeconfig(kubeconfig, cluster_url)

        github = GitHubSimulator(
            app_id=APP_ID,
            app_public_key_pem=app_key.public_pem,
            webhook_secret=WEBHOOK_SECRET,
        )
        github_runner, github_url = await _serve(github.make_app(), ports[1])
        runners.append(github_runner)
        github.base_url = github_url

        environment = {
            "GITHUB_APP_ID": str(APP_ID),
            "GITHUB_PRIVATE_KEY": app_key.private_pem,
            "GITHUB_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "GITHUB_API_URL": github_url,
            "KUBECONFIG": str(kubeconfig),
            "HOST": HOST,
            "CITE_PUBLIC_URL": f"http://{HOST}:{bot_socket.getsockname()[1]}",
            "CITE_BUILDER_IMAGE": BUILDER_IMAGE,
            **(bot_environment or {}),
        }
        settings = load_settings(environment)
        bot_app: web.Application | None = None
        bot_url: str | None = None
        if with_bot:
            bot_app = make_app(settings)
            bot_runner, bot_url = await _serve_socket(bot_app, bot_socket)
            runners.append(bot_runner)
            github.webhook_url = f"{bot_url}/webhooks"

        yield Stack(
            github=github,
            cluster=cluster,
            settings=settings,
            bot_app=bot_app,
            github_url=github_url,
            cluster_url=cluster_url,
            bot_url=bot_url,
            kubeconfig=kubeconfig,
            bot_environment=environment,
        )
    finally:
        if github is not None:
            # Stop webhooks first: a delivery that reaches the bot while its
            # server shuts down waits for the client's 10 s timeout.
            github.webhook_url = None
            await github.wait_idle()
        for runner in reversed(runners):
            await runner.cleanup()
        bot_socket.close()
