"""Fixtures for the GitHub simulator's tests: a served simulator, a gidgethub
client with an installation token, and a webhook receiver that checks
signatures and payload schemas."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import aiohttp
import jsonschema
import pytest
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from gidgethub.aiohttp import GitHubAPI
from gidgethub.apps import get_installation_access_token
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from simulators.github import GitHubSimulator

APP_ID = 4242
SECRET = "webhook-secret-☃"
OWNER = "octo-org"
REPO = "hello-world"
CONFIG = "port: 8080\n"
SCHEMAS = Path(__file__).parents[1] / "data/github/schemas/api.github.com"
PAYLOADS = Path(__file__).parents[1] / "data/github/payloads"

# The fixtures a test module gets from `from github_fixtures import *`.
__all__ = [
    "app_client",
    "gh",
    "installation_id",
    "key",
    "receiver",
    "repository",
    "server_url",
    "session",
    "sim",
    "token",
]


@dataclass(frozen=True)
class KeyPair:
    private_pem: str
    public_pem: str


@cache
def make_key() -> KeyPair:
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
    return KeyPair(private_pem, public_pem)


@cache
def schema_registry() -> Registry:
    """Register every octokit webhook schema under its `$id`."""
    registry = Registry()
    for path in SCHEMAS.rglob("*.schema.json"):
        contents = json.loads(path.read_text(encoding="utf-8"))
        resource = Resource.from_contents(contents, default_specification=DRAFT7)
        registry = registry.with_resource(contents["$id"], resource)
    return registry.crawl()


def schema_errors(event: str, payload: dict[str, Any]) -> list[str]:
    """Return how a payload breaks its event's octokit schema."""
    action = payload.get("action")
    schema_id = f"{event}${action}" if action else f"{event}$event"
    schema = schema_registry().contents(schema_id)
    validator = jsonschema.Draft7Validator(
        schema,
        registry=schema_registry(),
        format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER,
    )
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(payload)
    ]


@dataclass
class Received:
    """A webhook as the receiver got it."""

    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> str:
        return self.headers["X-GitHub-Event"]

    @property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A webhook endpoint that stores each request and responds with `status`."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    status: int = 202

    def of(self, event: str) -> list[Received]:
        return [item for item in self.received if item.event == event]


def signature_matches(received: Received, secret: str = SECRET) -> bool:
    """Check both signature headers against the raw body."""
    sha256 = hmac.new(secret.encode(), received.body, hashlib.sha256).hexdigest()
    sha1 = hmac.new(secret.encode(), received.body, hashlib.sha1).hexdigest()
    return hmac.compare_digest(
        received.headers["X-Hub-Signature-256"], f"sha256={sha256}"
    ) and hmac.compare_digest(received.headers["X-Hub-Signature"], f"sha1={sha1}")


@pytest.fixture
def key() -> KeyPair:
    return make_key()


@pytest.fixture
async def receiver(aiohttp_server) -> Receiver:
    state = Receiver()

    async def webhooks(request: web.Request) -> web.Response:
        state.received.append(Received(dict(request.headers), await request.read()))
        return web.Response(status=state.status)

    app = web.Application()
    app.router.add_post("/webhooks", webhooks)
    server = await aiohttp_server(app)
    state.url = str(server.make_url("/webhooks"))
    return state


@pytest.fixture
async def sim(key: KeyPair, receiver: Receiver):
    simulator = GitHubSimulator(
        app_id=APP_ID,
        app_public_key_pem=key.public_pem,
        webhook_secret=SECRET,
        webhook_url=receiver.url,
    )
    yield simulator
    await simulator.close()


@pytest.fixture
async def server_url(aiohttp_server, sim: GitHubSimulator) -> str:
    server = await aiohttp_server(sim.make_app())
    sim.base_url = str(server.make_url("")).rstrip("/")
    return sim.base_url


@pytest.fixture
async def session():
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
def app_client(session, server_url: str) -> GitHubAPI:
    """A gidgethub client without credentials, for calls that pass a JWT."""
    return GitHubAPI(session, "cite-tests", base_url=server_url)


@pytest.fixture
def installation_id(sim: GitHubSimulator) -> int:
    return sim.add_installation(OWNER, account_type="Organization")


@pytest.fixture
def repository(sim: GitHubSimulator, installation_id: int):
    return sim.add_repository(
        OWNER,
        REPO,
        default_branch="main",
        files={".github/cite.yml": CONFIG, "README.md": "# Hello\n"},
    )


@pytest.fixture
async def token(app_client: GitHubAPI, installation_id: int, key: KeyPair) -> str:
    response = await get_installation_access_token(
        app_client,
        installation_id=str(installation_id),
        app_id=str(APP_ID),
        private_key=key.private_pem,
    )
    return response["token"]


@pytest.fixture
def gh(session, server_url: str, token: str, repository) -> GitHubAPI:
    """A gidgethub client authenticated with an installation token."""
    return GitHubAPI(session, "cite-tests", oauth_token=token, base_url=server_url)


def repo_path(suffix: str = "") -> str:
    return f"/repos/{OWNER}/{REPO}{suffix}"
