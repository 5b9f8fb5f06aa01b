"""Build the head commit of each push to a repository that Cite builds."""

from __future__ import annotations

import re
from typing import Any

from gidgethub import routing, sansio
from gidgethub.abc import GitHubAPI

from bot import github
from bot.builds import BuildRequest
from bot.context import BotContext
from bot.logs import ContextLogger
from bot.repo_config import (
    CONFIG_PATH,
    ConfigError,
    parse_config,
    raw_build_context,
    raw_names_image,
)

router = routing.Router()

INVALID_CONFIG = f"Invalid {CONFIG_PATH}: {{reason}}"
# The markers with which GitHub Actions lets a commit message skip its runs.
SKIP_MARKERS = ("[skip ci]", "[ci skip]", "[no ci]", "[skip actions]", "[actions skip]")
_SKIP_TRAILER = re.compile(r"^skip-checks:\s*true\s*$", re.IGNORECASE | re.MULTILINE)


def skips_ci(message: str) -> bool:
    """Return whether a commit message requests that CI skip it."""
    lowered = message.lower()
    if any(marker in lowered for marker in SKIP_MARKERS):
        return True
    return _SKIP_TRAILER.search(message) is not None


def _skip_reason(data: dict[str, Any]) -> str | None:
    """Return why a push starts no build whatever its config, or None."""
    if data.get("deleted") or not data.get("head_commit"):
        return "the push deletes the ref"
    if not data["ref"].startswith(("refs/heads/", "refs/tags/")):
        return f"{data['ref']} is neither a branch nor a tag"
    if skips_ci(data["head_commit"].get("message") or ""):
        return "the head commit's message asks to skip CI"
    return None


@router.register("push")
async def build_pushed_commit(
    event: sansio.Event,
    gh: GitHubAPI,
    *,
    context: BotContext,
    logger: ContextLogger,
) -> None:
    """Start a build of the pushed head commit unless the repository's CI builds."""
    data = event.data
    reason = _skip_reason(data)
    if reason is not None:
        logger.info("Not building: %s.", reason)
        return
    owner, repo = data["repository"]["owner"]["login"], data["repository"]["name"]
    sha = data["after"]
    text = await github.read_file(gh, owner, repo, CONFIG_PATH, sha)
    if text is None:
        return
    try:
        config = parse_config(text, context.limits)
    except ConfigError as error:
        logger.info("Not building: invalid config: %s", error)
        if raw_names_image(text):
            return
        await github.create_commit_status(
            gh,
            owner,
            repo,
            sha,
            state="error",
            context=raw_build_context(text),
            description=INVALID_CONFIG.format(reason=error),
        )
        return
    if config.image is not None:
        logger.info("Not building: the repository's own CI builds %s.", config.image)
    elif data["ref"].startswith("refs/tags/") and not config.build.tags:
        logger.info("Not building the tag: build.tags is off.")
    else:
        context.builder.start(BuildRequest.from_push(data, config), logger)
