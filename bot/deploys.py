"""Execute GitHub deployments: start the release, wait until Ready, switch traffic.

Every deployment runs through here, whichever tool or person created it, and
each step is reported as a deployment status and a ``cite/deploy`` commit
status.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

from kubernetes_asyncio import client

from bot import github
from bot.auth import GitHubApp
from bot.deploy_job import (
    WAITING_ANNOTATIONS,
    WAITING_DEPLOYMENT_ANNOTATION,
    DeploymentJob,
)
from bot.github import GitHubError
from bot.locks import ServiceLocks
from bot.logs import ContextLogger, get_logger
from bot.repo_config import (
    CONFIG_PATH,
    ConfigError,
    Limits,
    RepoConfig,
    load_config,
    pod_resources,
)
from bot.reporting import Reporter
from bot.scaling import check_overrides
from bot.settings import Settings
from k8s import environments, releases
from k8s.errors import KubernetesError
from k8s.manifests import ReleaseSpec, Target
from k8s.names import namespace_name, service_name

# Deployment states after which the bot has started or finished a deployment.
HANDLED_STATES = frozenset({"in_progress", "success", "failure", "error", "inactive"})
FINAL_STATES = HANDLED_STATES - {"in_progress"}

STARTING = "Starting release {release} of {sha}"
WAITING = "Waiting for {replicas} pod(s) of {release} to become Ready"
LIVE = "{release} is live in {environment}"
FAILED = "Release failed: {reason}. Traffic stays on the previous release."
BAD_CONFIG = f"Invalid {CONFIG_PATH}: {{reason}}"
CLUSTER_ERROR = "Kubernetes API error: {reason}. Redeploy to retry."
SUPERSEDED = "Superseded: {reason}."
GITHUB_ERROR = "GitHub API error: {reason}. Redeploy to retry."
STOPPED = "Cite stopped before this deploy finished; redeploy to retry."
BUILD_PENDING = "Waiting for {context} to succeed on {sha}; the deploy starts then."
BUILD_FAILED = "Not deployed: {context} failed: {reason}"
SCALE_REJECTED = "Not scaled: {reason}"


class Deployer:
    """Run deployments as tracked background tasks, one at a time per Service.

    A deployment that waited behind a newer one for the same Service is not
    executed: the newest intent wins.
    """

    def __init__(
        self,
        settings: Settings,
        github_app: GitHubApp,
        kube: client.ApiClient,
        limits: Limits,
        service_locks: ServiceLocks,
    ) -> None:
        self._settings = settings
        self._github = github_app
        self._kube = kube
        self._limits = limits
        self._service_locks = service_locks
        self._running: set[int] = set()
        self._resumable: set[int] = set()
        self._slots = asyncio.Semaphore(settings.max_concurrent_deploys)
        self._locks: defaultdict[tuple[str, str], asyncio.Lock] = defaultdict(
            asyncio.Lock
        )
        self._newest: dict[tuple[str, str], int] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def start(
        self, job: DeploymentJob, logger: ContextLogger, *, resume: bool = False
    ) -> asyncio.Task[None] | None:
        """Start executing a deployment in the background.

        Returns None when this process runs that deployment already.
        """
        if job.deployment_id in self._running:
            return None
        logger = logger.bind(
            deployment=job.deployment_id, sha=job.sha[:7], environment=job.environment
        )
        task = asyncio.create_task(
            self._guarded(job, logger, resume), name=f"deployment-{job.deployment_id}"
        )
        self._running.add(job.deployment_id)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(lambda _: self._running.discard(job.deployment_id))
        return task

    def start_resumed(self, job: DeploymentJob) -> bool:
        """Start a deployment that a stopped replica left unfinished."""
        logger = get_logger("bot.resume", repository=f"{job.owner}/{job.repo}")
        return self.start(job, logger, resume=True) is not None

    async def wait_idle(self) -> None:
        """Wait until no deployment is running."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    @property
    def service_locks(self) -> ServiceLocks:
        """The Leases that serialize work on each Service across replicas."""
        return self._service_locks

    def is_idle(self) -> bool:
        """Return whether no deployment is running."""
        return not self._tasks

    async def stop(self) -> None:
        """Cancel running deployments; each reports that it was stopped."""
        for task in list(self._tasks):
            task.cancel()
        await self.wait_idle()

    async def _guarded(
        self, job: DeploymentJob, logger: ContextLogger, resume: bool
    ) -> None:
        reporter = Reporter(self._github, job, logger)
        try:
            async with self._slots:
                await self._execute(job, reporter, logger, resume)
        except asyncio.CancelledError:
            if job.deployment_id in self._resumable:
                logger.warning("Stopped during the deploy; the leader resumes it.")
            else:
                logger.warning("Stopped before the deploy started.")
                await asyncio.shield(
                    reporter.report("error", STOPPED, commit_state="error")
                )
            raise
        except GitHubError as error:
            logger.error("GitHub API request failed: %s", error)
            await reporter.report(
                "error", GITHUB_ERROR.format(reason=error), commit_state="error"
            )
        except Exception:
            logger.exception("The deploy failed unexpectedly.")
            await reporter.report(
                "error",
                "Cite failed unexpectedly; the bot's log has the details. "
                "Redeploy to retry.",
                commit_state="error",
            )
        finally:
            self._resumable.discard(job.deployment_id)

    async def _execute(
        self,
        job: DeploymentJob,
        reporter: Reporter,
        logger: ContextLogger,
        resume: bool,
    ) -> None:
        gh = await self._github.client(job.installation_id)
        statuses = await github.list_deployment_statuses(
            gh, job.owner, job.repo, job.deployment_id
        )
        handled = FINAL_STATES if resume else HANDLED_STATES
        if any(status["state"] in handled for status in statuses):
            logger.info("Deployment was handled already; nothing to do.")
            return
        prepared = await self._prepare(gh, job, reporter, logger)
        if prepared is None:
            return
        config, target = prepared
        if not await self._ensure_namespace(target, reporter, logger):
            return
        await self._service_locks.record_waiting(
            target.namespace,
            target.service,
            job.waiting_intent(),
            WAITING_DEPLOYMENT_ANNOTATION,
        )
        key = (target.namespace, target.service)
        self._newest[key] = max(self._newest.get(key, 0), job.deployment_id)
        async with self._locks[key]:
            if self._newest[key] > job.deployment_id:
                reason = f"deployment {self._newest[key]} is newer"
                logger.info("Skipped: %s.", reason)
                await reporter.report("inactive", SUPERSEDED.format(reason=reason))
                return
            async with self._service_locks.hold(
                target.namespace, target.service, annotations=job.intent()
            ):
                await self._service_locks.forget_waiting(
                    target.namespace,
                    target.service,
                    WAITING_ANNOTATIONS,
                    WAITING_DEPLOYMENT_ANNOTATION,
                    job.deployment_id,
                )
                # Until the rollout ends, a cancellation leaves the Lease's
                # record of this deploy for the leader to resume.
                self._resumable.add(job.deployment_id)
                spec = await self._apply_scale(job, config, target, reporter, logger)
                if spec is not None and await self._roll_out(spec, reporter, logger):
                    await self._keep_scale(job, target, logger)
                self._resumable.discard(job.deployment_id)

    async def _ensure_namespace(
        self, target: Target, reporter: Reporter, logger: ContextLogger
    ) -> bool:
        try:
            await releases.ensure_namespace(self._kube, target.namespace, target.owner)
        except KubernetesError as error:
            logger.error("Kubernetes API request failed: %s", error)
            description = CLUSTER_ERROR.format(reason=error)
            await reporter.report("error", description, commit_state="error")
            return False
        return True

    async def _prepare(
        self, gh: Any, job: DeploymentJob, reporter: Reporter, logger: ContextLogger
    ) -> tuple[RepoConfig, Target] | None:
        """Read the config at the commit and find the target, or report why not.

        A repository without the config file, or an environment that neither a
        branch of the config nor a Cite command deploys to, belongs to another
        tool: such deployments are left alone, without any status.
        """
        try:
            config = await load_config(gh, job.owner, job.repo, job.sha, self._limits)
        except ConfigError as error:
            await reporter.report(
                "failure", BAD_CONFIG.format(reason=error), commit_state="failure"
            )
            return None
        if config is None:
            logger.info("No %s at %s; not a deployment for Cite.", CONFIG_PATH, job.sha)
            return None
        service_key = job.cite.get("service_key")
        if not isinstance(service_key, str) or not service_key:
            service_key = config.branch_for(job.environment, job.default_branch)
        if service_key is None:
            logger.info(
                "No branch deploys to %s in %s; not a deployment for Cite.",
                job.environment,
                CONFIG_PATH,
            )
            return None
        if job.wait_for_build and not await self._build_succeeded(gh, job, reporter):
            return None
        target = Target(
            namespace=namespace_name(self._settings.namespace_prefix, job.owner),
            service=service_name(job.repo, service_key),
            owner=job.owner,
            repository=job.repo,
            branch=job.branch or service_key,
            environment=job.environment,
        )
        return config, target

    async def _build_succeeded(
        self, gh: Any, job: DeploymentJob, reporter: Reporter
    ) -> bool:
        """Check the build status a command's deploy waits for.

        A pending build leaves the deployment queued; the status handler starts
        it when the build succeeds.
        """
        context = job.wait_for_build or ""
        for check in ("before", "after"):
            state, description = await github.commit_state(
                gh, job.owner, job.repo, job.sha, context
            )
            if state == "success":
                return True
            if state in ("failure", "error"):
                text = BUILD_FAILED.format(context=context, reason=description or state)
                await reporter.report("failure", text)
                return False
            if check == "before":
                # The build can end between the check and the queued status,
                # when the status handler would not see this deployment as
                # queued yet, so the state is read once more afterwards.
                await reporter.report(
                    "queued", BUILD_PENDING.format(context=context, sha=job.sha[:7])
                )
        return False

    async def _apply_scale(
        self,
        job: DeploymentJob,
        config: RepoConfig,
        target: Target,
        reporter: Reporter,
        logger: ContextLogger,
    ) -> ReleaseSpec | None:
        """Build the release with the Service's scale and the deployment's own."""
        try:
            await releases.ensure_service(self._kube, target, config.port)
            state = await environments.read_service(
                self._kube, target.namespace, target.service
            )
            overrides = dict(state.overrides if state else {})
            if job.scale:
                overrides.update(job.scale)
                check_overrides(overrides, self._limits)
        except ConfigError as error:
            await reporter.report("failure", SCALE_REJECTED.format(reason=error))
            return None
        except KubernetesError as error:
            logger.error("Kubernetes API request failed: %s", error)
            description = CLUSTER_ERROR.format(reason=error)
            await reporter.report("error", description, commit_state="error")
            return None
        return self._release_spec(job, config, target, overrides)

    async def _keep_scale(
        self, job: DeploymentJob, target: Target, logger: ContextLogger
    ) -> None:
        """Record a live deployment's scale on the Service for later releases.

        Only a scale that went live is kept, so a failed one does not break the
        next deploy too.
        """
        if not job.scale:
            return
        try:
            await environments.set_overrides(
                self._kube, target.namespace, target.service, job.scale
            )
            logger.info("Scaled %s: %s.", target.service, job.scale)
        except KubernetesError as error:
            logger.error("Recording the scale of %s failed: %s", target.service, error)

    def _release_spec(
        self,
        job: DeploymentJob,
        config: RepoConfig,
        target: Target,
        overrides: dict[str, str],
    ) -> ReleaseSpec:
        # The image always comes from the config at the commit, never from
        # the payload, which anyone who can create deployments can write.
        image = config.image_for(
            owner=job.owner,
            repo=job.repo,
            sha=job.sha,
            branch=target.branch,
            registry=self._settings.registry,
        )
        resources = pod_resources(config, self._limits)
        return ReleaseSpec(
            target=target,
            sha=job.sha,
            image=image,
            port=config.port,
            replicas=int(overrides.get("replicas") or config.replicas),
            cpu=overrides.get("cpu") or resources.cpu,
            memory=overrides.get("memory") or resources.memory,
            readiness_path=config.readiness_path,
            env=dict(config.env),
            deployment_id=job.deployment_id,
            installation_id=job.installation_id,
        )

    async def _roll_out(
        self, spec: ReleaseSpec, reporter: Reporter, logger: ContextLogger
    ) -> bool:
        """Start the release next to the live one, wait, then switch the Service.

        Returns whether the release went live.
        """
        target = spec.target
        logger = logger.bind(release=spec.name)
        text = {"release": spec.name, "sha": spec.sha[:7], "replicas": spec.replicas}
        await reporter.report(
            "in_progress", STARTING.format(**text), commit_state="pending"
        )
        try:
            await releases.ensure_service(self._kube, target, spec.port)
            created = await releases.create_release(self._kube, spec)
            logger.info("%s the release.", "Created" if created else "Reused")
            await reporter.report("in_progress", WAITING.format(**text))
            await releases.wait_until_ready(
                self._kube, spec, self._settings.ready_timeout
            )
            switch = await releases.switch_service(self._kube, spec)
        except releases.ReleaseFailed as failure:
            await self._discard(spec, logger)
            logger.warning("Release failed: %s", failure)
            description = FAILED.format(release=spec.name, reason=failure)
            await reporter.report("failure", description, commit_state="failure")
            return False
        except releases.Superseded as superseded:
            logger.info("Not switching: %s.", superseded)
            await self._discard(spec, logger)
            await reporter.report("inactive", SUPERSEDED.format(reason=superseded))
            return False
        except KubernetesError as error:
            logger.error("Kubernetes API request failed: %s", error)
            await self._discard(spec, logger)
            description = CLUSTER_ERROR.format(reason=error)
            await reporter.report("error", description, commit_state="error")
            return False

        if switch.previous:
            try:
                await releases.mark_unselected(
                    self._kube, target.namespace, switch.previous, switch.at
                )
            except KubernetesError as error:
                # The Service's own record of the switch still contains the time.
                logger.warning(
                    "Marking %s unselected failed: %s", switch.previous, error
                )
        logger.info(
            "Service %s now selects %s (previously %s).",
            target.service,
            spec.name,
            switch.previous or "nothing",
        )
        url = self._settings.environment_url.format(
            service=target.service,
            namespace=target.namespace,
            environment=target.environment,
            repo=target.repository,
        )
        description = LIVE.format(release=spec.name, environment=target.environment)
        await reporter.report(
            "success", description, commit_state="success", environment_url=url
        )
        await reporter.deactivate_older()
        return True

    async def _discard(self, spec: ReleaseSpec, logger: ContextLogger) -> None:
        """Remove a failed release unless its Service selects it."""
        try:
            if await releases.is_selected(self._kube, spec):
                return
            await releases.delete_release(self._kube, spec.target.namespace, spec.name)
            logger.info("Removed the failed release.")
        except KubernetesError as error:
            logger.error("Removing the failed release failed: %s", error)
