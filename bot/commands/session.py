"""Run the commands of one comment: check access, acknowledge, act and reply."""

from __future__ import annotations

from gidgethub.abc import GitHubAPI

from bot import github
from bot.commands import replies
from bot.commands.access import check_access
from bot.commands.actions import ACTIONS, ActionRefused, CommandRun
from bot.commands.parse import Command, CommandError, UnknownCommand, check_arguments
from bot.commands.pull_request import PullRequest
from bot.context import BotContext
from bot.github import GitHubError
from bot.logs import ContextLogger
from bot.reporting import merge_reply, reply_lock
from k8s.errors import KubernetesError

# The maximum number of commands one comment runs; the reply notes the rest.
MAX_COMMANDS = 10


async def run_comment(
    gh: GitHubAPI,
    context: BotContext,
    data: dict,
    commands: list[Command | UnknownCommand],
    logger: ContextLogger,
) -> None:
    """Run a comment's commands and reply with one comment."""
    owner = data["repository"]["owner"]["login"]
    repo = data["repository"]["name"]
    number = data["issue"]["number"]
    comment_id = data["comment"]["id"]
    login = data["comment"]["user"]["login"]
    marker = replies.marker(comment_id)

    refusal = await _refusal(gh, owner, repo, login, data, logger)
    if refusal is not None:
        await github.create_comment(gh, owner, repo, number, f"{refusal}\n\n{marker}")
        return
    await github.add_reaction(gh, owner, repo, comment_id, "+1")
    reply_id = await github.create_comment(
        gh, owner, repo, number, f"{replies.WORKING}\n\n{marker}"
    )
    pull = PullRequest.from_api(
        await github.pull_request(gh, owner, repo, number),
        owner=owner,
        repo=repo,
        installation_id=data["installation"]["id"],
    )
    run = CommandRun(
        gh,
        context,
        pull,
        login,
        reply_id,
        logger,
        comment_created_at=data["comment"].get("created_at") or "",
    )
    sections = [await _answer(run, command) for command in commands[:MAX_COMMANDS]]
    if len(commands) > MAX_COMMANDS:
        sections.append(replies.TOO_MANY.format(count=MAX_COMMANDS))
    new = "\n\n".join([*sections, marker])
    async with reply_lock(reply_id):
        current = await github.read_comment(gh, owner, repo, reply_id)
        await github.edit_comment(gh, owner, repo, reply_id, merge_reply(new, current))


async def _refusal(
    gh: GitHubAPI,
    owner: str,
    repo: str,
    login: str,
    data: dict,
    logger: ContextLogger,
) -> str | None:
    """Return why the commenter may not run commands here, or None."""
    repository = f"{owner}/{repo}"
    try:
        access = await check_access(gh, owner, repo, login)
    except GitHubError as error:
        logger.error("Checking %s's access failed: %s", login, error)
        return replies.PERMISSION_FAILED.format(
            login=login, repository=repository, reason=error
        )
    if not access.allowed:
        logger.info("Refused commands from %s (%s).", login, access.description)
        return replies.NO_PERMISSION.format(
            login=login, repository=repository, access=access.description
        )
    state = data["issue"].get("state")
    if state != "open":
        return replies.CLOSED.format(state=state)
    return None


async def _answer(run: CommandRun, command: Command | UnknownCommand) -> str:
    """Carry out one command and return its part of the reply."""
    if isinstance(command, UnknownCommand):
        return replies.UNKNOWN.format(line=command.line)
    try:
        command = check_arguments(command)
    except CommandError as error:
        return replies.BAD_ARGUMENTS.format(
            line=command.line, reason=error, usage=command.usage
        )
    if command.name == "help":
        return replies.HELP
    try:
        return await ACTIONS[command.name](run, command)
    except ActionRefused as refused:
        return str(refused)
    except (GitHubError, KubernetesError) as error:
        run.logger.error("Command %s failed: %s", command.line, error)
        return replies.COMMAND_FAILED.format(line=command.line, reason=error)
