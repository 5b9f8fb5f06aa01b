"""Run the slash commands of pull request comments and reply to them."""

from __future__ import annotations

from gidgethub import routing, sansio
from gidgethub.abc import GitHubAPI

from bot.commands.parse import parse_comment
from bot.commands.session import run_comment
from bot.context import BotContext
from bot.logs import ContextLogger

router = routing.Router()


@router.register("issue_comment", action="created")
async def answer_commands(
    event: sansio.Event,
    gh: GitHubAPI,
    *,
    context: BotContext,
    logger: ContextLogger,
) -> None:
    """Run the commands of a new comment on a pull request."""
    data = event.data
    if "pull_request" not in data["issue"]:
        return
    if data["comment"]["user"].get("type") == "Bot":
        return
    commands = parse_comment(data["comment"].get("body") or "")
    if not commands:
        return
    logger.info(
        "Running %d command(s) from %s.",
        len(commands),
        data["comment"]["user"]["login"],
    )
    await run_comment(gh, context, data, commands, logger)
