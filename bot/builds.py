"""Build pushed commits in the cluster and report each build as a commit status.

For every build the bot requests an installation token that can only read
the one repository's contents, and hands it to a Job through a Secret. It
watches the Job and sets the repository's build context (``cite/build`` by
default) to pending, then to success, failure or error. GitHub sends the
``status`` event for that, which starts the deploy as for any other builder.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from kubernetes_asyncio import client

from bot import github
from bot.auth import GitHubApp
from bot.build_logs import link_key, log_link
from bot.github import MAX_DESCRIPTION, GitHubError
from bot.logs import ContextLogger
from bot.repo_config import RepoConfig
from bot.settings import Settings
from k8s import builds, releases
from k8s.builds import STATUS_CONTEXT_ANNOTATION, BuildOutcome, BuildSpec
from k8s.errors import KubernetesError
from k8s.manifests import INSTALLATION_ANNOTATION, REPOSITORY_ANNOTATION, SHA_LABEL
from k8s.names import build_key, build_name

# The permissions of a build's token: reading the repository's files only.
BUILD_PERMISSIONS = {"contents": "read"}
REPORT_TIMEOUT_SECONDS = 10
CLEANUP_TIMEOUT_SECONDS = 10
# How long past its activeDeadlineSeconds the bot waits for a Job to end
# before it gives up on the cluster and deletes the Job itself.
DEADLINE_GRACE_SECONDS = 60
LOG_TAIL_LINES = 20
ELLIPSIS = "…"

STARTED = "Building {sha} in {job}"
BUILT = "Built in {duration}"
FAILED = "Build failed after {duration}: {log}"
EMPTY_LOG = "the build log is empty"
TIMED_OUT = (
    "Build timed out after {deadline}; make it faster or ask the operator to "
    "raise CITE_BUILD_DEADLINE."
)
NOT_RUN = "Build could not run: {reason}. Push again to retry."
REMOVED = "The build's Job was deleted before it finished; push again to retry."
SUPERSEDED = "Superseded by {sha}, pushed later to {ref}"
STOPPED = "Cite stopped before this build finished; push again to retry."
UNEXPECTED = "Cite failed unexpectedly; the bot's log has the details. Push again."

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuildRequest:
    """One commit to build, as a ``push`` event and the config give it."""

    installation_id: int
    owner: str
    repo: str
    ref: str
    sha: str
    status_context: str
    dockerfile: str
    context_dir: str | None

    @classmethod
    def from_push(cls, data: dict[str, Any], config: RepoConfig) -> BuildRequest:
        """Build a request from a ``push`` payload and the config at its head."""
        repository = data["repository"]
        return cls(
            installation_id=data["installation"]["id"],
            owner=repository["owner"]["login"],
            repo=repository["name"],
            ref=data["ref"],
            sha=data["after"],
            status_context=config.build_context,
            dockerfile=config.build.dockerfile,
            context_dir=config.build.context_dir,
        )

    @classmethod
    def orphan(
        cls, owner: str, repo: str, sha: str, installation_id: int, context: str
    ) -> BuildRequest:
        """Describe a build found in the cluster, for reporting its end."""
        return cls(
            installation_id=installation_id,
            owner=owner,
            repo=repo,
            ref="",
            sha=sha,
            status_context=context,
            dockerfile="",
            context_dir=None,
        )

    @property
    def ref_name(self) -> str:
        """The branch or tag name without ``refs/heads/`` or ``refs/tags/``."""
        return self.ref.removeprefix("refs/heads/").removeprefix("refs/tags/")

    @property
    def key(self) -> str:
        """The hash that names this repository's ref; a newer build replaces it."""
        return build_key(self.owner, self.repo, self.ref)


def git_source(api_url: str, owner: str, repo: str) -> tuple[str, str]:
    """Return the builder's git URL (without scheme) and its pull method.

    github.com serves Git at github.com and the API at api.github.com; GitHub
    Enterprise Server serves both on one host, with the API under /api/v3.
    Any other API URL (the simulator) is taken to serve Git on its own host.
    """
    parts = urlsplit(api_url)
    host = parts.netloc
    if host == "api.github.com":
        host = "github.com"
    return f"{host}/{owner}/{repo}.git", parts.scheme or "https"


def format_duration(seconds: float | None) -> str:
    """Return a duration for people: ``42 s`` or ``3 min 5 s``."""
    if seconds is None:
        return "an unknown time"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    return f"{whole // 60} min {whole % 60} s"


def failure_description(duration: str, log: str | None) -> str:
    """Return the failure description with as much of the log's end as fits."""
    prefix = FAILED.format(duration=duration, log="")
    tail = " ".join((log or "").split()) or EMPTY_LOG
    room = MAX_DESCRIPTION - len(prefix)
    if len(tail) > room:
        end = tail[-(room - len(ELLIPSIS)) :]
        # Start at a whole word unless the end is a single long word.
        if " " in end:
            end = end.split(" ", 1)[1]
        tail = ELLIPSIS + end
    return prefix + tail


class BuildReporter:
    """Set a build's commit status; a failed report is only logged."""

    def __init__(
        self, app: GitHubApp, request: BuildRequest, logger: ContextLogger
    ) -> None:
        self._app = app
        self._request = request
        self._logger = logger

    async def report(
        self, state: str, description: str, target_url: str | None = None
    ) -> None:
        """Set the build context's status on the commit."""
        request = self._request
        try:
            async with asyncio.timeout(REPORT_TIMEOUT_SECONDS):
                gh = await self._app.client(request.installation_id)
                await github.create_commit_status(
                    gh,
                    request.owner,
                    request.repo,
                    request.sha,
                    state=state,
                    context=request.status_context,
                    description=description,
                    target_url=target_url,
                )
        except (GitHubError, TimeoutError) as error:
            self._logger.error(
                "Reporting build %s to GitHub failed: %s", state, error or "timed out"
            )


@dataclass
class _Running:
    """A build in progress, and the newer commit that replaces it, if any."""

    request: BuildRequest
    task: asyncio.Task[None] | None = None
    superseded_by: str | None = None


class Builder:
    """Run builds as tracked background tasks, at most one per repository ref.

    A push to a ref whose previous build still runs supersedes that build:
    its Job is deleted and its status set to error.

    NOTE: only builds started by this process are superseded; a build that
    another replica started runs to its end and reports its own result.
    """

    def __init__(
        self, settings: Settings, github_app: GitHubApp, kube: client.ApiClient
    ) -> None:
        self._settings = settings
        self._github = github_app
        self._kube = kube
        self._slots = asyncio.Semaphore(settings.max_concurrent_builds)
        self._link_key = link_key(settings.github_webhook_secret.get_secret_value())
        self._running: dict[str, _Running] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self, request: BuildRequest, logger: ContextLogger) -> None:
        """Start building a commit in the background, superseding an older build."""
        logger = logger.bind(sha=request.sha[:7], build=request.ref_name)
        previous = self._running.get(request.key)
        if previous is not None and previous.request.sha == request.sha:
            logger.info("This commit is being built already.")
            return
        if previous is not None and previous.task is not None:
            previous.superseded_by = request.sha
            previous.task.cancel()
        running = _Running(request)
        running.task = asyncio.create_task(
            self._guarded(running, logger), name=f"build-{request.sha[:12]}"
        )
        self._running[request.key] = running
        self._tasks.add(running.task)
        running.task.add_done_callback(lambda task: self._forget(running, task))

    def _forget(self, running: _Running, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if self._running.get(running.request.key) is running:
            del self._running[running.request.key]

    async def wait_idle(self) -> None:
        """Wait until no build is running."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def is_idle(self) -> bool:
        """Return whether no build is running."""
        return not self._tasks

    async def stop(self) -> None:
        """Cancel running builds; each deletes its Job and reports an error."""
        for task in list(self._tasks):
            task.cancel()
        await self.wait_idle()

    def spec_for(self, request: BuildRequest) -> BuildSpec:
        """Return the Job's spec for a build request."""
        settings = self._settings
        git_url, pull_method = git_source(settings.api_url, request.owner, request.repo)
        destination = RepoConfig().image_for(
            owner=request.owner,
            repo=request.repo,
            sha=request.sha,
            branch=request.ref_name,
            registry=settings.registry,
        )
        return BuildSpec(
            namespace=settings.build_namespace,
            name=build_name(request.owner, request.repo, request.ref, request.sha),
            key=request.key,
            owner=request.owner,
            repository=request.repo,
            ref=request.ref,
            sha=request.sha,
            git_url=git_url,
            pull_method=pull_method,
            dockerfile=request.dockerfile,
            context_dir=request.context_dir,
            destination=destination,
            builder_image=settings.builder_image,
            cpu=settings.build_cpu,
            memory=settings.build_memory,
            deadline_seconds=settings.build_deadline,
            registry_secret=settings.build_registry_secret,
            installation_id=request.installation_id,
            status_context=request.status_context,
        )

    def log_url(self, job: str) -> str | None:
        """Return the signed link to a build's log, or None without a public URL."""
        base = self._settings.public_base_url
        if base is None:
            return None
        expires = int(time.time()) + self._settings.build_log_link_seconds
        return log_link(
            base, self._link_key, self._settings.build_namespace, job, expires
        )

    async def _guarded(self, running: _Running, logger: ContextLogger) -> None:
        request = running.request
        spec = self.spec_for(request)
        logger = logger.bind(job=spec.name)
        reporter = BuildReporter(self._github, request, logger)
        try:
            async with self._slots:
                await self._run(request, spec, reporter, logger)
        except asyncio.CancelledError:
            await asyncio.shield(self._abandon(running, spec, reporter, logger))
            raise
        except Exception:
            logger.exception("The build failed unexpectedly.")
            await self._clean_up(spec, logger, delete_job=False)
            await reporter.report("error", UNEXPECTED)

    async def _run(
        self,
        request: BuildRequest,
        spec: BuildSpec,
        reporter: BuildReporter,
        logger: ContextLogger,
    ) -> None:
        """Start the Job, wait for it, and report the outcome."""
        try:
            token = await self._github.repository_token(
                request.installation_id, request.repo, BUILD_PERMISSIONS
            )
        except GitHubError as error:
            logger.error("Requesting the build's token failed: %s", error)
            reason = f"no GitHub token to read the source ({error})"
            await reporter.report("error", NOT_RUN.format(reason=reason))
            return

        try:
            await releases.ensure_namespace(self._kube, spec.namespace, "cite")
            created = await builds.start_build(self._kube, spec, token.token)
        except KubernetesError as error:
            logger.error("Starting the build Job failed: %s", error)
            await self._clean_up(spec, logger, delete_job=False)
            reason = f"Kubernetes API error: {error}"
            await reporter.report("error", NOT_RUN.format(reason=reason))
            return
        logger.info("%s build Job %s.", "Created" if created else "Found", spec.name)
        link = self.log_url(spec.name)
        description = STARTED.format(sha=spec.sha[:7], job=spec.name)
        await reporter.report("pending", description, link)

        try:
            outcome = await self._wait(spec, logger)
        except KubernetesError as error:
            logger.error("Watching the build Job failed: %s", error)
            reason = f"Kubernetes API error: {error}"
            await reporter.report("error", NOT_RUN.format(reason=reason), link)
            return
        finally:
            await self._clean_up(spec, logger, delete_job=False)
        state, description = await self._describe(spec, outcome)
        logger.info("Build ended: %s.", description)
        await reporter.report(state, description, link)

    async def _wait(self, spec: BuildSpec, logger: ContextLogger) -> BuildOutcome:
        """Wait for the Job; past its deadline plus a grace, delete it."""
        try:
            async with asyncio.timeout(spec.deadline_seconds + DEADLINE_GRACE_SECONDS):
                return await builds.wait_for_build(
                    self._kube, spec.namespace, spec.name
                )
        except TimeoutError:
            logger.warning("The build Job outlived its deadline; deleting it.")
            await self._clean_up(spec, logger, delete_job=True)
            return BuildOutcome(
                succeeded=False,
                reason="DeadlineExceeded",
                seconds=spec.deadline_seconds,
            )

    async def _describe(
        self, spec: BuildSpec, outcome: BuildOutcome
    ) -> tuple[str, str]:
        """Return the commit status state and description of a finished build."""
        duration = format_duration(outcome.seconds)
        if outcome.succeeded:
            return "success", BUILT.format(duration=duration)
        if outcome.gone:
            return "error", REMOVED
        if outcome.reason == "DeadlineExceeded":
            deadline = format_duration(spec.deadline_seconds)
            return "failure", TIMED_OUT.format(deadline=deadline)
        try:
            log = await builds.read_build_log(
                self._kube, spec.namespace, spec.name, tail_lines=LOG_TAIL_LINES
            )
        except KubernetesError:
            log = outcome.message
        return "failure", failure_description(duration, log)

    async def _abandon(
        self,
        running: _Running,
        spec: BuildSpec,
        reporter: BuildReporter,
        logger: ContextLogger,
    ) -> None:
        """Delete a cancelled build's Job and report why it ended."""
        await self._clean_up(spec, logger, delete_job=True)
        newer = running.superseded_by
        if newer is None:
            logger.warning("Stopped during the build.")
            await reporter.report("error", STOPPED)
            return
        logger.info("Superseded by %s.", newer[:7])
        request = running.request
        description = SUPERSEDED.format(sha=newer[:7], ref=request.ref_name)
        await reporter.report("error", description)

    async def _clean_up(
        self, spec: BuildSpec, logger: ContextLogger, *, delete_job: bool
    ) -> None:
        """Delete the build's Secret, and its Job when asked; errors are logged."""
        try:
            async with asyncio.timeout(CLEANUP_TIMEOUT_SECONDS):
                if delete_job:
                    await builds.delete_build(self._kube, spec.namespace, spec.name)
                else:
                    await builds.delete_secret(self._kube, spec.namespace, spec.name)
        except (KubernetesError, TimeoutError) as error:
            logger.error("Cleaning up build %s failed: %r", spec.name, error)

    async def finish_orphans(self, min_age_seconds: float) -> list[str]:
        """Report the builds that ended after the replica watching them stopped.

        A Job keeps running when the bot stops, so its commit status would stay
        pending. Only Jobs that ended at least ``min_age_seconds`` ago are
        reported, because a live replica reports its own within moments.
        Returns the names of the Jobs reported.
        """
        now = datetime.now(UTC)
        reported = []
        for job in await builds.list_builds(self._kube, self._settings.build_namespace):
            ended = builds.ended_at(job)
            outcome = builds.job_outcome(job)
            if ended is None or outcome is None:
                continue
            if (now - ended).total_seconds() < min_age_seconds:
                continue
            if await self._report_orphan(job, outcome):
                reported.append(job["metadata"]["name"])
        return reported

    async def _report_orphan(self, job: dict[str, Any], outcome: BuildOutcome) -> bool:
        metadata = job["metadata"]
        annotations = metadata.get("annotations") or {}
        try:
            owner, repo = annotations[REPOSITORY_ANNOTATION].split("/", 1)
            installation_id = int(annotations[INSTALLATION_ANNOTATION])
            sha = metadata["labels"][SHA_LABEL]
        except (KeyError, ValueError):
            return False
        context = annotations.get(STATUS_CONTEXT_ANNOTATION, "cite/build")
        gh = await self._github.client(installation_id)
        state, _ = await github.commit_state(gh, owner, repo, sha, context)
        if state != "pending":
            return False
        deadline = (job.get("spec") or {}).get("activeDeadlineSeconds") or 0
        spec = self.spec_for(
            BuildRequest.orphan(owner, repo, sha, installation_id, context)
        )
        spec = replace(spec, name=metadata["name"], deadline_seconds=deadline)
        state, description = await self._describe(spec, outcome)
        logger.info("Reporting build %s, which ended unwatched: %s", spec.name, state)
        await github.create_commit_status(
            gh,
            owner,
            repo,
            sha,
            state=state,
            context=context,
            description=description,
            target_url=self.log_url(spec.name),
        )
        await builds.delete_secret(self._kube, spec.namespace, spec.name)
        return True
