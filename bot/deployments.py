"""Create the GitHub deployments that Cite executes, once per commit and environment."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from cachetools import LRUCache
from gidgethub.abc import GitHubAPI

from bot import github

MAX_LOCKS = 10_000


class DeploymentCreator:
    """Create deployments, one creation at a time per commit and environment.

    GitHub can deliver one logical event twice under two delivery ids, so a
    check for an existing deployment and the creation run under one lock.
    """

    def __init__(self) -> None:
        self._locks: LRUCache[tuple[str, ...], asyncio.Lock] = LRUCache(MAX_LOCKS)

    @asynccontextmanager
    async def _serialized(self, *key: str) -> AsyncIterator[None]:
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        async with lock:
            yield

    async def create_once(
        self,
        gh: GitHubAPI,
        owner: str,
        repo: str,
        *,
        sha: str,
        environment: str,
        cite: dict[str, Any],
        description: str,
        required_contexts: list[str],
    ) -> dict[str, Any] | None:
        """Create a deployment unless the commit has one in the environment.

        Returns the new deployment, or None when one existed already.
        """
        async with self._serialized(owner.lower(), repo.lower(), sha, environment):
            existing = await github.find_deployments(
                gh, owner, repo, sha=sha, environment=environment
            )
            if existing:
                return None
            return await self.create(
                gh,
                owner,
                repo,
                sha=sha,
                environment=environment,
                cite=cite,
                description=description,
                required_contexts=required_contexts,
            )

    async def create(
        self,
        gh: GitHubAPI,
        owner: str,
        repo: str,
        *,
        sha: str,
        environment: str,
        cite: dict[str, Any],
        description: str,
        required_contexts: list[str] | None = None,
        transient: bool = False,
    ) -> dict[str, Any]:
        """Create a deployment of exactly this commit with Cite's payload keys."""
        return await github.create_deployment(
            gh,
            owner,
            repo,
            sha=sha,
            environment=environment,
            payload={"cite": cite},
            description=description,
            required_contexts=required_contexts or [],
            transient=transient,
        )
