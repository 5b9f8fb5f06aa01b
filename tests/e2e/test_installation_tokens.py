"""Installation tokens are requested once per installation and reused."""

from __future__ import annotations

import asyncio

import pytest

from bot.app import CONTEXT
from bot.github import GitHubError
from tests.e2e.helpers import OWNER, create_repository


def token_requests(stack) -> list:
    return [r for r in stack.github.requests if r.path.endswith("/access_tokens")]


async def test_concurrent_requests_share_one_token(stack):
    create_repository(stack)
    installation = stack.github.repository(OWNER, "hello-world")
    installation_id = stack.github.installation_for(installation).id
    github_app = stack.bot_app[CONTEXT].github

    tokens = await asyncio.gather(
        *(github_app.token(installation_id) for _ in range(5))
    )

    assert len(set(tokens)) == 1
    assert len(token_requests(stack)) == 1
    assert await github_app.token(installation_id) == tokens[0]
    assert len(token_requests(stack)) == 1


async def test_unknown_installation_raises(stack):
    github_app = stack.bot_app[CONTEXT].github
    with pytest.raises(GitHubError) as raised:
        await github_app.token(999_999)
    assert raised.value.status == 404
