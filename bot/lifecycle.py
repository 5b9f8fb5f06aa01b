"""The leader's work: remove old standby releases and resume interrupted deploys."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from kubernetes_asyncio import client

from bot import github
from bot.auth import GitHubApp
from bot.builds import Builder
from bot.deploy_job import (
    WAITING_ANNOTATIONS,
    WAITING_DEPLOYMENT_ANNOTATION,
    DeploymentJob,
)
from bot.deploys import FINAL_STATES, Deployer
from bot.github import GitHubError, GitHubNotFound
from bot.locks import LOCK_LABEL, ServiceLocks
from bot.logs import get_logger
from bot.settings import Settings
from k8s import releases
from k8s.errors import KubernetesError
from k8s.leases import LeaseRecord, list_leases
from k8s.manifests import (
    DEPLOYMENT_ID_ANNOTATION,
    INSTALLATION_ANNOTATION,
    REPOSITORY_ANNOTATION,
)

REMOVED = "Release {release} was removed: {reason}."
_HOLDER_KEYS = (
    DEPLOYMENT_ID_ANNOTATION,
    INSTALLATION_ANNOTATION,
    REPOSITORY_ANNOTATION,
)
_WAITING_KEYS = WAITING_ANNOTATIONS
OVER_RETENTION = "on standby for {age}, longer than the retention of {retention}"
OVER_COUNT = "more than {count} standby releases"

logger = get_logger(__name__)


def describe_duration(delta: timedelta) -> str:
    """Return a duration as people read it: 45 s, 12 min, 3 h."""
    seconds = delta.total_seconds()
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.0f} h"


def choose_removals(
    standby: list[releases.Release],
    now: datetime,
    retention: timedelta,
    max_standby: int,
) -> list[tuple[releases.Release, str]]:
    """Return the standby releases to remove, each with the reason.

    Standby time counts from when the Service stopped selecting the release,
    or from its creation for one that was never selected. The newest
    ``max_standby`` releases within the retention are kept.
    """

    def since(release: releases.Release) -> datetime:
        return release.unselected_at or release.created

    removals = []
    ranked = sorted(standby, key=since, reverse=True)
    for index, release in enumerate(ranked):
        age = now - since(release)
        if age > retention:
            reason = OVER_RETENTION.format(
                age=describe_duration(age), retention=describe_duration(retention)
            )
        elif index >= max_standby:
            reason = OVER_COUNT.format(count=max_standby)
        else:
            continue
        removals.append((release, reason))
    return removals


class Lifecycle:
    """Clean-up and resumption, run by the leader every clean-up interval."""

    def __init__(
        self,
        settings: Settings,
        kube: client.ApiClient,
        github_app: GitHubApp,
        locks: ServiceLocks,
        deployer: Deployer,
        builder: Builder | None = None,
    ) -> None:
        self._settings = settings
        self._kube = kube
        self._github = github_app
        self._locks = locks
        self._deployer = deployer
        self._builder = builder

    async def lead(self) -> None:
        """Run the leader's work until cancelled; a failed round is logged."""
        while True:
            for step in (self.resume_interrupted, self.clean_up, self.finish_builds):
                try:
                    await step()
                except (KubernetesError, GitHubError) as error:
                    logger.error("%s failed: %s", step.__name__, error)
                except Exception:
                    # The leader keeps its Lease, so the next round must run.
                    logger.exception("%s failed unexpectedly.", step.__name__)
            await asyncio.sleep(self._settings.cleanup_interval)

    async def finish_builds(self) -> list[str]:
        """Report the builds whose replica stopped before they ended."""
        if self._builder is None:
            return []
        return await self._builder.finish_orphans(2 * self._settings.lease_seconds)

    async def clean_up(self) -> list[str]:
        """Remove the standby releases past their retention or count.

        A Service whose Lease another replica holds is skipped this round, so a
        release that a deploy works on is never removed. Returns the names of
        the removed releases.
        """
        by_service: defaultdict[tuple[str, str], list[releases.Release]] = defaultdict(
            list
        )
        for release in await releases.list_releases(self._kube):
            by_service[(release.namespace, release.service)].append(release)
        removed = []
        for (namespace, service), group in sorted(by_service.items()):
            removed += await self._clean_service(namespace, service, group)
        return removed

    async def _clean_service(
        self, namespace: str, service: str, group: list[releases.Release]
    ) -> list[str]:
        async with self._locks.hold(namespace, service, wait=False) as held:
            if held is None:
                logger.info(
                    "Skipped clean-up of %s/%s: a deploy holds it.", namespace, service
                )
                return []
            selected = await releases.selected_release(self._kube, namespace, service)
            standby = [release for release in group if release.name != selected]
            removals = choose_removals(
                standby,
                datetime.now(UTC),
                timedelta(seconds=self._settings.release_retention),
                self._settings.max_standby,
            )
            for release, reason in removals:
                await releases.delete_release(self._kube, namespace, release.name)
                logger.info(
                    "Removed release %s/%s: %s.", namespace, release.name, reason
                )
                await self._mark_inactive(release, reason)
        return [release.name for release, _ in removals]

    async def _mark_inactive(self, release: releases.Release, reason: str) -> None:
        """Mark the release's GitHub deployment inactive, if it names one."""
        annotations = release.annotations
        try:
            deployment_id = int(annotations[DEPLOYMENT_ID_ANNOTATION])
            installation_id = int(annotations[INSTALLATION_ANNOTATION])
            owner, repo = annotations[REPOSITORY_ANNOTATION].split("/", 1)
        except (KeyError, ValueError):
            return
        try:
            gh = await self._github.client(installation_id)
            await github.create_deployment_status(
                gh,
                owner,
                repo,
                deployment_id,
                state="inactive",
                description=REMOVED.format(release=release.name, reason=reason),
            )
        except GitHubError as error:
            logger.error(
                "Marking deployment %s inactive failed: %s", deployment_id, error
            )

    async def resume_interrupted(self) -> list[int]:
        """Finish the deploys whose replica stopped while holding a Service's Lease.

        A deploy that waited for the Lease in a replica that stopped is started
        too, once the Lease has been free for two lease durations (a live
        waiter takes it within a third of one). Returns the ids of the
        deployments started again.
        """
        now = datetime.now(UTC)
        quiet = timedelta(seconds=2 * self._settings.lease_seconds)
        resumed = []
        for lease in await list_leases(self._kube, f"{LOCK_LABEL}=service"):
            if not lease.expired(now):
                continue
            keys = []
            if DEPLOYMENT_ID_ANNOTATION in lease.annotations:
                keys.append(_HOLDER_KEYS)
            free_since = lease.renewed or lease.acquired
            if WAITING_DEPLOYMENT_ANNOTATION in lease.annotations and (
                free_since is None or now - free_since > quiet
            ):
                keys.append(_WAITING_KEYS)
            for names in keys:
                job = await self._interrupted_job(lease, names)
                if job is not None and self._deployer.start_resumed(job):
                    resumed.append(job.deployment_id)
        return resumed

    async def _interrupted_job(
        self, lease: LeaseRecord, names: tuple[str, str, str]
    ) -> DeploymentJob | None:
        annotations = lease.annotations
        deployment_key, installation_key, repository_key = names
        try:
            deployment_id = int(annotations[deployment_key])
            installation_id = int(annotations[installation_key])
            owner, repo = annotations[repository_key].split("/", 1)
        except (KeyError, ValueError):
            logger.warning(
                "Lease %s/%s names no deploy to resume.", lease.namespace, lease.name
            )
            return None
        gh = await self._github.client(installation_id)
        try:
            deployment = await github.get_deployment(gh, owner, repo, deployment_id)
        except GitHubNotFound:
            deployment = None
        statuses = (
            await github.list_deployment_statuses(gh, owner, repo, deployment_id)
            if deployment
            else []
        )
        if deployment is None or any(s["state"] in FINAL_STATES for s in statuses):
            await self._forget(lease, names)
            return None
        logger.info(
            "Resuming deployment %s of %s, interrupted.",
            deployment_id,
            f"{owner}/{repo}",
        )
        return DeploymentJob.from_deployment(
            deployment, owner=owner, repo=repo, installation_id=installation_id
        )

    async def _forget(self, lease: LeaseRecord, names: tuple[str, ...]) -> None:
        """Drop the record of a deploy that has finished after all."""
        service = lease.labels.get("cite.dev/service", "")
        handle = self._locks.lease(lease.namespace, service)
        await handle.annotate(
            lambda current: (
                {k: v for k, v in current.items() if k not in names}
                if any(name in current for name in names)
                else None
            )
        )
