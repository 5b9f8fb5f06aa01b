"""Report a deployment's progress to GitHub: statuses and the command's reply."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from cachetools import LRUCache

from bot import github
from bot.auth import GitHubApp
from bot.deploy_job import DeploymentJob
from bot.github import ELLIPSIS, GitHubError
from bot.logs import ContextLogger

DEPLOY_CONTEXT = "cite/deploy"
REPORT_TIMEOUT_SECONDS = 10
REPLACED = "Replaced by deployment #{deployment} of {sha}."
# Earlier deployments that can still be live are among an environment's
# newest; older ones were marked inactive when they were replaced.
RECENT_DEPLOYMENTS = 30
# States after which the reply comment of a command shows the outcome.
REPLY_STATES = {
    "success": "✅",
    "failure": "❌",
    "error": "❌",
    "inactive": "⏹️",
    "queued": "⏳",
}


# GitHub rejects comment bodies longer than 65,536 characters.
MAX_COMMENT = 65_000
_reply_locks: LRUCache[int, asyncio.Lock] = LRUCache(maxsize=10_000)


def reply_marker(deployment_id: int) -> str:
    """Return the hidden marker of a deployment's line in a reply comment."""
    return f"<!-- cite:deployment:{deployment_id} -->"


@asynccontextmanager
async def reply_lock(comment_id: int) -> AsyncIterator[None]:
    """Hold the lock of one reply comment while reading and rewriting it.

    NOTE: this orders the edits of one bot process; replicas editing the same
    reply at the same moment can still overwrite each other's line.
    """
    lock = _reply_locks.get(comment_id)
    if lock is None:
        lock = _reply_locks[comment_id] = asyncio.Lock()
    async with lock:
        yield


def merge_reply(new: str, current: str) -> str:
    """Return ``new``, keeping the newer line of each deployment from ``current``."""
    marked = {
        line[line.index("<!-- cite:deployment:") :]: line
        for line in current.splitlines()
        if "<!-- cite:deployment:" in line
    }
    lines = []
    for line in new.splitlines():
        if "<!-- cite:deployment:" in line:
            line = marked.get(line[line.index("<!-- cite:deployment:") :], line)
        lines.append(line)
    text = "\n".join(lines)
    if len(text) > MAX_COMMENT:
        text = text[: MAX_COMMENT - 1] + ELLIPSIS
    return text


class Reporter:
    """Send a deployment's progress to GitHub; a failed report is only logged."""

    def __init__(self, app: GitHubApp, job: DeploymentJob, logger: ContextLogger):
        self._app = app
        self._job = job
        self._logger = logger

    async def report(
        self,
        state: str,
        description: str,
        *,
        commit_state: str | None = None,
        environment_url: str | None = None,
    ) -> None:
        """Add a deployment status and, when given, a ``cite/deploy`` commit status."""
        job = self._job
        try:
            async with asyncio.timeout(REPORT_TIMEOUT_SECONDS):
                gh = await self._app.client(job.installation_id)
                await github.create_deployment_status(
                    gh,
                    job.owner,
                    job.repo,
                    job.deployment_id,
                    state=state,
                    description=description,
                    environment_url=environment_url,
                )
                if commit_state:
                    await github.create_commit_status(
                        gh,
                        job.owner,
                        job.repo,
                        job.sha,
                        state=commit_state,
                        context=DEPLOY_CONTEXT,
                        description=description,
                        target_url=environment_url,
                    )
            if state in REPLY_STATES and job.reply is not None:
                await self._update_reply(gh, state, description, environment_url)
        except (GitHubError, TimeoutError) as error:
            self._logger.error(
                "Reporting %s to GitHub failed: %s", state, error or "timed out"
            )

    async def _update_reply(
        self, gh: github.GitHubAPI, state: str, description: str, url: str | None
    ) -> None:
        """Replace this deployment's line in the command's reply comment."""
        job = self._job
        assert job.reply is not None
        _issue, comment_id = job.reply
        marker = reply_marker(job.deployment_id)
        link = f" {url}" if url else ""
        line = f"{REPLY_STATES[state]} {description}{link} {marker}"
        async with reply_lock(comment_id):
            body = await github.read_comment(gh, job.owner, job.repo, comment_id)
            lines = [line if marker in text else text for text in body.splitlines()]
            if marker not in body:
                lines.insert(max(len(lines) - 1, 0), line)
            await github.edit_comment(
                gh, job.owner, job.repo, comment_id, "\n".join(lines)
            )

    async def deactivate_older(self) -> None:
        """Mark the environment's earlier live deployments inactive.

        GitHub does that itself only for environments that are neither
        production nor transient, so Cite does it for every environment.
        """
        job = self._job
        try:
            async with asyncio.timeout(REPORT_TIMEOUT_SECONDS * 3):
                gh = await self._app.client(job.installation_id)
                for deployment in await github.find_deployments(
                    gh,
                    job.owner,
                    job.repo,
                    environment=job.environment,
                    limit=RECENT_DEPLOYMENTS,
                ):
                    if deployment["id"] == job.deployment_id:
                        continue
                    statuses = await github.list_deployment_statuses(
                        gh, job.owner, job.repo, deployment["id"]
                    )
                    if statuses and statuses[0]["state"] == "success":
                        await github.create_deployment_status(
                            gh,
                            job.owner,
                            job.repo,
                            deployment["id"],
                            state="inactive",
                            description=REPLACED.format(
                                deployment=job.deployment_id, sha=job.sha[:7]
                            ),
                        )
        except (GitHubError, TimeoutError) as error:
            self._logger.error(
                "Marking earlier deployments inactive failed: %s", error or "timed out"
            )
