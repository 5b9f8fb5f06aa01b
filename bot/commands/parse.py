"""Find the slash commands in a comment body and check their arguments."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

USAGE = {
    "deploy": "/deploy [environment]",
    "rollback": "/rollback [environment] [sha or deployment id]",
    "scale": "/scale N | /scale cpu=500m memory=1Gi",
    "status": "/status",
    "help": "/help",
    "lock": "/lock [environment] [reason]",
    "unlock": "/unlock [environment]",
}
_COMMAND_LINE = re.compile(r"^/([A-Za-z][\w-]*)(?:\s+(.*))?$")
_ENVIRONMENT = re.compile(r"^[A-Za-z0-9][\w.-]{0,99}$")
_REFERENCE = re.compile(r"^(?:[0-9a-fA-F]{7,40}|\d+)$")
_RESOURCE = re.compile(r"^(cpu|memory)=(\S+)$")


class CommandError(ValueError):
    """A command's arguments are invalid; the message states what was expected."""


@dataclass(frozen=True)
class Command:
    """One command line of a comment: the name and its arguments."""

    name: str
    arguments: tuple[str, ...] = ()
    line: str = ""
    resources: dict[str, str] = field(default_factory=dict)

    @property
    def usage(self) -> str:
        """The command's usage line."""
        return USAGE.get(self.name, "")


@dataclass(frozen=True)
class UnknownCommand:
    """A line that starts like a command but names no known command."""

    name: str
    line: str


def parse_comment(body: str) -> list[Command | UnknownCommand]:
    """Return the commands of a comment, in order.

    A command is a line that starts with ``/`` and a word; CRLF line endings and
    spaces around a line change nothing. Lines in fenced code blocks and quotes
    are not commands.
    """
    commands: list[Command | UnknownCommand] = []
    fenced = False
    for raw in body.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.strip()
        if line.startswith("```") or line.startswith("~~~"):
            fenced = not fenced
            continue
        match = _COMMAND_LINE.match(line) if not fenced else None
        if match is None:
            continue
        name = match.group(1).lower()
        arguments = tuple((match.group(2) or "").split())
        if name in USAGE:
            commands.append(Command(name=name, arguments=arguments, line=line))
        else:
            commands.append(UnknownCommand(name=name, line=line))
    return commands


def check_arguments(command: Command) -> Command:
    """Return the command with checked arguments, or raise CommandError."""
    arguments = command.arguments
    if command.name in ("status", "help") and arguments:
        raise CommandError(f"/{command.name} takes no arguments")
    if command.name in ("deploy", "unlock"):
        if len(arguments) > 1:
            raise CommandError(f"/{command.name} takes at most one environment")
        _check_environments(arguments[:1])
    if command.name == "rollback":
        return _check_rollback(command)
    if command.name == "lock" and arguments:
        _check_environments(arguments[:1])
    if command.name == "scale":
        return _check_scale(command)
    return command


def _check_environments(names: tuple[str, ...]) -> None:
    for name in names:
        if not _ENVIRONMENT.match(name):
            raise CommandError(f"{name!r} is not a valid environment name")


def _check_rollback(command: Command) -> Command:
    arguments = command.arguments
    if len(arguments) > 2:
        raise CommandError("/rollback takes an environment and a sha or deployment id")
    if len(arguments) == 2:
        _check_environments(arguments[:1])
        if not _REFERENCE.match(arguments[1]):
            raise CommandError(f"{arguments[1]!r} is not a sha or a deployment id")
    elif len(arguments) == 1 and not _REFERENCE.match(arguments[0]):
        _check_environments(arguments)
    return command


def _check_scale(command: Command) -> Command:
    arguments = command.arguments
    if not arguments:
        raise CommandError("/scale needs a number of pods or cpu=... memory=...")
    if len(arguments) == 1 and arguments[0].isdigit():
        if int(arguments[0]) < 1:
            raise CommandError("/scale needs at least 1 pod")
        return command
    resources: dict[str, str] = {}
    for argument in arguments:
        match = _RESOURCE.match(argument)
        if match is None:
            raise CommandError(
                f"{argument!r} is neither a number of pods nor cpu=/memory="
            )
        resources[match.group(1)] = match.group(2)
    return Command(
        name=command.name, arguments=arguments, line=command.line, resources=resources
    )
