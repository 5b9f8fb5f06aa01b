"""Authenticate as the GitHub App and cache installation tokens across deliveries."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from dataclasses import dataclass
from datetime import datetime

import aiohttp
from cachetools import TLRUCache
from cryptography.hazmat.primitives import serialization
from gidgethub import apps
from gidgethub.aiohttp import GitHubAPI

from bot.github import USER_AGENT, github_errors

# Renew a token this long before GitHub expires it, so a request never carries
# a token that expires while it is in flight.
RENEW_BEFORE_SECONDS = 300
MAX_INSTALLATIONS = 4096

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class InstallationToken:
    """An installation access token and when it stops working (epoch seconds)."""

    token: str
    expires_at: float

    def __repr__(self) -> str:
        return f"InstallationToken(token=<hidden>, expires_at={self.expires_at})"


def key_fingerprint(private_key: str) -> str:
    """Return the SHA-256 fingerprint of the app key's public half, for logs."""
    key = serialization.load_pem_private_key(private_key.encode(), password=None)
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return "SHA256:" + hashlib.sha256(der).hexdigest()[:16]


def _time_to_use(_key: int, value: InstallationToken, _now: float) -> float:
    return value.expires_at - RENEW_BEFORE_SECONDS


class GitHubApp:
    """Make GitHub clients for installations, sharing one token per installation.

    Tokens are kept until shortly before they expire. Concurrent requests for an
    installation without a valid token wait for one token request.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        app_id: int,
        private_key: str,
        api_url: str,
    ) -> None:
        self._session = session
        self._app_id = app_id
        self._private_key = private_key
        self._api_url = api_url
        self._tokens: TLRUCache[int, InstallationToken] = TLRUCache(
            maxsize=MAX_INSTALLATIONS, ttu=_time_to_use, timer=time.time
        )
        self._pending: dict[int, asyncio.Task[InstallationToken]] = {}

    async def token(self, installation_id: int) -> str:
        """Return a valid installation token, requesting one when needed."""
        cached = self._tokens.get(installation_id)
        if cached is not None:
            return cached.token
        task = self._pending.get(installation_id)
        if task is None:
            task = asyncio.create_task(self._request_token(installation_id))
            self._pending[installation_id] = task
            task.add_done_callback(lambda _: self._pending.pop(installation_id, None))
        token = await asyncio.shield(task)
        return token.token

    async def client(self, installation_id: int) -> GitHubAPI:
        """Return a client that acts as the app's installation."""
        token = await self.token(installation_id)
        return GitHubAPI(
            self._session, USER_AGENT, oauth_token=token, base_url=self._api_url
        )

    async def repository_token(
        self, installation_id: int, repository: str, permissions: dict[str, str]
    ) -> InstallationToken:
        """Request a new token limited to one repository and these permissions.

        The token is not cached: each build gets its own, which GitHub expires
        after an hour.
        """
        gh = GitHubAPI(self._session, USER_AGENT, base_url=self._api_url)
        jwt = apps.get_jwt(app_id=str(self._app_id), private_key=self._private_key)
        with github_errors():
            response = await gh.post(
                "/app/installations/{installation_id}/access_tokens",
                {"installation_id": installation_id},
                data={"repositories": [repository], "permissions": permissions},
                jwt=jwt,
            )
        expires_at = datetime.fromisoformat(
            response["expires_at"].replace("Z", "+00:00")
        ).timestamp()
        return InstallationToken(token=response["token"], expires_at=expires_at)

    async def _request_token(self, installation_id: int) -> InstallationToken:
        gh = GitHubAPI(self._session, USER_AGENT, base_url=self._api_url)
        with github_errors():
            response = await apps.get_installation_access_token(
                gh,
                installation_id=str(installation_id),
                app_id=str(self._app_id),
                private_key=self._private_key,
            )
        expires_at = datetime.fromisoformat(
            response["expires_at"].replace("Z", "+00:00")
        ).timestamp()
        token = InstallationToken(token=response["token"], expires_at=expires_at)
        self._tokens[installation_id] = token
        logger.info(
            "Received a token for installation %s, valid until %s.",
            installation_id,
            response["expires_at"],
        )
        return token
