"""The actions behind the commands; every change to an environment is a deployment."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from gidgethub.abc import GitHubAPI

from bot import github
from bot.commands import replies
from bot.commands.parse import Command
from bot.commands.pull_request import PullRequest, preview_service_key
from bot.context import BotContext
from bot.deploy_job import DeploymentJob
from bot.logs import ContextLogger
from bot.repo_config import ConfigError, RepoConfig, load_config
from bot.reporting import reply_marker
from bot.scaling import check_overrides
from k8s import builds, environments, releases
from k8s.environments import EnvironmentLock
from k8s.manifests import SHA_LABEL
from k8s.names import namespace_name, service_name

PREVIEW_NAME = re.compile(r"^pr-\d+$")
# Commands read at most this many of an environment's newest deployments, so
# their cost does not grow with the repository's history.
HISTORY_LIMIT = 100


class ActionRefused(Exception):
    """A command cannot be carried out; the message is the reply line."""


@dataclass
class CommandRun:
    """Everything a command acts with: clients, the pull request and the reply."""

    gh: GitHubAPI
    context: BotContext
    pull: PullRequest
    login: str
    reply_id: int
    logger: ContextLogger
    comment_created_at: str = ""
    _config: RepoConfig | None = None

    @property
    def namespace(self) -> str:
        """The organization's namespace."""
        prefix = self.context.settings.namespace_prefix
        return namespace_name(prefix, self.pull.owner)

    @property
    def repository(self) -> str:
        """The repository as ``owner/name``."""
        return f"{self.pull.owner}/{self.pull.repo}"

    async def config(self) -> RepoConfig:
        """Return the config at the pull request's head; refuse without one."""
        if self._config is None:
            sha = self.pull.head_sha[:7]
            try:
                config = await load_config(
                    self.gh,
                    self.pull.owner,
                    self.pull.repo,
                    self.pull.head_sha,
                    self.context.limits,
                )
            except ConfigError as error:
                text = replies.BAD_CONFIG.format(sha=sha, reason=error)
                raise ActionRefused(text) from None
            if config is None:
                raise ActionRefused(replies.NO_CONFIG.format(sha=sha))
            self._config = config
        return self._config

    def cite_payload(self, **keys: Any) -> dict[str, Any]:
        """Return Cite's payload keys for a deployment made by this command."""
        return {
            "pull_request": self.pull.number,
            "requested_by": self.login,
            "reply": {"issue": self.pull.number, "comment": self.reply_id},
            **keys,
        }


async def service_key_for(run: CommandRun, environment: str) -> str:
    """Return what the environment's Service name is derived from."""
    if environment == run.pull.preview:
        return preview_service_key(run.pull.number)
    config = await run.config()
    branch = config.branch_for(environment, run.pull.default_branch)
    return branch if branch is not None else environment


async def check_environment(run: CommandRun, environment: str) -> None:
    """Refuse an environment this pull request may not change.

    That is another pull request's preview, an environment that
    ``pull_requests.environments`` does not list, or one another pull request
    has locked.
    """
    if environment == run.pull.preview:
        return
    if PREVIEW_NAME.match(environment):
        raise ActionRefused(replies.OTHER_PREVIEW.format(environment=environment))
    allowed = (await run.config()).pull_requests.environments
    if environment not in allowed:
        listed = ", ".join(f"`{name}`" for name in allowed) or "none"
        raise ActionRefused(
            replies.ENVIRONMENT_NOT_ALLOWED.format(
                environment=environment, allowed=listed
            )
        )
    await check_lock(run, environment)


async def check_lock(run: CommandRun, environment: str) -> None:
    """Refuse when another pull request holds the environment's lock."""
    lock = await environments.read_lock(
        run.context.kube, run.namespace, run.repository, environment
    )
    if lock is not None and lock.pull_request != run.pull.number:
        raise ActionRefused(
            replies.LOCKED.format(
                environment=environment,
                holder=lock.pull_request,
                user=lock.user,
                reason=lock.reason or "no reason given",
            )
        )


async def deploy(run: CommandRun, command: Command) -> str:
    """Deploy the pull request's head commit to its preview or a named environment."""
    config = await run.config()
    pull = run.pull
    environment = command.arguments[0] if command.arguments else pull.preview
    await check_environment(run, environment)
    if pull.from_fork and pull.pushed_after(run.comment_created_at):
        raise ActionRefused(replies.HEAD_CHANGED)

    sha = pull.head_sha
    state, description = await github.commit_state(
        run.gh, pull.owner, pull.repo, sha, config.build_context
    )
    if state in ("failure", "error"):
        raise ActionRefused(
            replies.BUILD_FAILED.format(
                sha=sha[:7], context=config.build_context, reason=description or state
            )
        )

    if state is None and config.image is None and not await _build_started(run, sha):
        raise ActionRefused(replies.NOT_BUILT.format(sha=sha[:7]))
    cite = run.cite_payload(
        branch=pull.head_ref, service_key=await service_key_for(run, environment)
    )
    if state != "success":
        cite["wait_for_build"] = config.build_context

    deployment = await run.context.creator.create(
        run.gh,
        pull.owner,
        pull.repo,
        sha=sha,
        environment=environment,
        cite=cite,
        description=f"/deploy by {run.login} on #{pull.number}",
        transient=environment == pull.preview,
    )
    template = replies.DEPLOYING if state == "success" else replies.WAITING_FOR_BUILD
    text = template.format(
        sha=sha[:7],
        environment=environment,
        deployment=deployment["id"],
        context=config.build_context,
    )
    return f"{text} {reply_marker(deployment['id'])}"


async def _payload_after(
    run: CommandRun, earlier: dict[str, Any], environment: str, **keys: Any
) -> dict[str, Any]:
    """Return Cite's payload for a new deployment of an earlier one's commit.

    The new deployment serves the same branch and Service as the earlier one.
    """
    job = DeploymentJob.from_deployment(
        earlier,
        owner=run.pull.owner,
        repo=run.pull.repo,
        installation_id=run.pull.installation_id,
    )
    service_key = job.cite.get("service_key") or await service_key_for(run, environment)
    return run.cite_payload(
        branch=job.branch or run.pull.head_ref, service_key=service_key, **keys
    )


async def _build_started(run: CommandRun, sha: str) -> bool:
    """Return whether Cite has a build Job for the commit."""
    namespace = run.context.settings.build_namespace
    jobs = await builds.list_builds(run.context.kube, namespace)
    return any(job["metadata"]["labels"].get(SHA_LABEL) == sha for job in jobs)


async def _environment_deployments(
    run: CommandRun, environment: str
) -> list[dict[str, Any]]:
    """Return the environment's deployments, newest first, with their latest state."""
    pull = run.pull
    found = await github.find_deployments(
        run.gh, pull.owner, pull.repo, environment=environment, limit=HISTORY_LIMIT
    )
    for deployment in found:
        statuses = await github.list_deployment_statuses(
            run.gh, pull.owner, pull.repo, deployment["id"]
        )
        deployment["latest_state"] = statuses[0]["state"] if statuses else None
        deployment["was_live"] = any(item["state"] == "success" for item in statuses)
    return found


def _parse_rollback(run: CommandRun, command: Command) -> tuple[str, str | None]:
    arguments = list(command.arguments)
    reference = None
    if arguments and (arguments[-1].isdigit() or len(arguments) == 2):
        reference = arguments.pop()
    if arguments and len(arguments[0]) >= 7 and _looks_like_sha(arguments[0]):
        reference = arguments.pop(0)
    environment = arguments[0] if arguments else run.pull.preview
    return environment, reference


def _looks_like_sha(text: str) -> bool:
    return all(c in "0123456789abcdef" for c in text.lower()) and not text.isdigit()


async def rollback(run: CommandRun, command: Command) -> str:
    """Put the previous (or a named) release of an environment back."""
    environment, reference = _parse_rollback(run, command)
    await check_environment(run, environment)

    history = await _environment_deployments(run, environment)
    live = next((d for d in history if d["latest_state"] == "success"), None)
    candidates = [d for d in history if d["was_live"]]
    if reference is not None:
        target = next(
            (
                d
                for d in candidates
                if str(d["id"]) == reference or d["sha"].startswith(reference.lower())
            ),
            None,
        )
        detail = f" matching `{reference}`"
    else:
        live_sha = live["sha"] if live else None
        target = next((d for d in candidates if d["sha"] != live_sha), None)
        detail = ""

    if target is None:
        raise ActionRefused(
            replies.NOTHING_TO_ROLL_BACK.format(environment=environment, detail=detail)
        )

    cite = await _payload_after(run, target, environment)

    deployment = await run.context.creator.create(
        run.gh,
        run.pull.owner,
        run.pull.repo,
        sha=target["sha"],
        environment=environment,
        cite=cite,
        description=f"/rollback by {run.login} on #{run.pull.number}",
        transient=environment == run.pull.preview,
    )
    text = replies.ROLLING_BACK.format(
        environment=environment, sha=target["sha"][:7], deployment=deployment["id"]
    )
    return f"{text} {reply_marker(deployment['id'])}"


async def scale(run: CommandRun, command: Command) -> str:
    """Change the pods or the resources of an environment's live release."""
    if command.resources:
        change = dict(command.resources)
    else:
        change = {"replicas": command.arguments[0]}
    try:
        check_overrides(change, run.context.limits)
    except ConfigError as error:
        raise ActionRefused(replies.SCALE_REJECTED.format(reason=error)) from None

    environment = run.pull.preview
    history = await _environment_deployments(run, environment)
    live = next((d for d in history if d["latest_state"] == "success"), None)
    if live is None:
        raise ActionRefused(replies.NOT_LIVE.format(environment=environment))

    cite = await _payload_after(run, live, environment, scale=change)
    deployment = await run.context.creator.create(
        run.gh,
        run.pull.owner,
        run.pull.repo,
        sha=live["sha"],
        environment=environment,
        cite=cite,
        description=f"/scale by {run.login} on #{run.pull.number}",
        transient=True,
    )

    described = ", ".join(f"{key}={value}" for key, value in change.items())
    text = replies.SCALING.format(
        environment=environment, change=described, deployment=deployment["id"]
    )
    return f"{text} {reply_marker(deployment['id'])}"


async def lock(run: CommandRun, command: Command) -> str:
    """Reserve a shared environment for this pull request."""
    if not command.arguments:
        raise ActionRefused(replies.LOCK_NEEDS_ENVIRONMENT)
    environment = command.arguments[0]
    await check_environment(run, environment)
    reason = " ".join(command.arguments[1:]) or "no reason given"
    wanted = EnvironmentLock(
        repository=run.repository,
        environment=environment,
        pull_request=run.pull.number,
        user=run.login,
        reason=reason,
    )
    await releases.ensure_namespace(run.context.kube, run.namespace, run.pull.owner)
    holder = await environments.take_lock(run.context.kube, run.namespace, wanted)
    if holder.pull_request != run.pull.number:
        raise ActionRefused(
            replies.LOCKED.format(
                environment=environment,
                holder=holder.pull_request,
                user=holder.user,
                reason=holder.reason,
            )
        )
    return replies.LOCK_TAKEN.format(
        environment=environment, number=run.pull.number, reason=holder.reason
    )


async def unlock(run: CommandRun, command: Command) -> str:
    """Free an environment this pull request locked."""
    environment = command.arguments[0] if command.arguments else ""
    if not environment:
        held = await environments.locks_of(
            run.context.kube, run.namespace, run.repository, run.pull.number
        )
        if len(held) != 1:
            raise ActionRefused(replies.UNLOCK_NEEDS_ENVIRONMENT)
        environment = held[0].environment
    released = await environments.release_lock(
        run.context.kube, run.namespace, run.repository, environment, run.pull.number
    )
    template = replies.UNLOCKED if released else replies.NOT_LOCKED
    return template.format(environment=environment)


async def status(run: CommandRun, command: Command) -> str:
    """Describe the pull request's environments, their releases and locks."""
    pull = run.pull
    everything = await github.find_deployments(
        run.gh, pull.owner, pull.repo, limit=HISTORY_LIMIT
    )
    names = {pull.preview}
    for deployment in everything:
        job = DeploymentJob.from_deployment(
            deployment,
            owner=pull.owner,
            repo=pull.repo,
            installation_id=pull.installation_id,
        )
        if job.cite.get("pull_request") == pull.number:
            names.add(job.environment)
    sections = []
    retention = timedelta(seconds=run.context.settings.release_retention)
    for environment in sorted(names):
        key = await service_key_for(run, environment)
        state = await environments.read_service(
            run.context.kube, run.namespace, service_name(pull.repo, key)
        )
        if state is None:
            continue
        sections.append(_describe(environment, state, retention))
    for held in await environments.locks_of(
        run.context.kube, run.namespace, run.repository
    ):
        sections.append(
            f"🔒 `{held.environment}` is locked by #{held.pull_request} "
            f"(@{held.user}): {held.reason}"
        )
    return "\n\n".join(sections) if sections else replies.STATUS_EMPTY


def _describe(
    environment: str, state: environments.ServiceState, retention: timedelta
) -> str:
    live = state.live_release
    lines = [f"**`{environment}`** (Service `{state.name}`)"]
    if live is None:
        lines.append("- no live release")
    else:
        lines.append(
            f"- live: `{live.name}` at {live.sha[:7]}, "
            f"{live.ready}/{live.replicas} pods Ready"
        )
    for standby in state.standby:
        removal = "when the clean-up runs next"
        if standby.unselected_at:
            since = datetime.fromisoformat(standby.unselected_at.replace("Z", "+00:00"))
            removal = f"after {(since + retention).strftime('%Y-%m-%d %H:%M UTC')}"
        lines.append(
            f"- standby: `{standby.name}` at {standby.sha[:7]}, "
            f"{standby.ready}/{standby.replicas} pods Ready, removed {removal}"
        )
    return "\n".join(lines)


ACTIONS = {
    "deploy": deploy,
    "rollback": rollback,
    "scale": scale,
    "status": status,
    "lock": lock,
    "unlock": unlock,
}
