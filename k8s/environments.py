"""Read and change what a pull request's commands act on: Services, releases, locks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from kubernetes_asyncio import client

from k8s import manifests
from k8s.errors import AlreadyExists, Conflict, NotFound, kubernetes_errors
from k8s.leases import MANAGED_LABELS, micro_time
from k8s.names import short_hash

OVERRIDE_PREFIX = f"{manifests.LABEL_PREFIX}/override-"
LOCK_KIND_LABEL = f"{manifests.LABEL_PREFIX}/lock"
PULL_REQUEST_LABEL = f"{manifests.LABEL_PREFIX}/pull-request"
ENVIRONMENT_ANNOTATION = manifests.ENVIRONMENT_ANNOTATION
LOCK_USER_ANNOTATION = f"{manifests.LABEL_PREFIX}/locked-by"
LOCK_REASON_ANNOTATION = f"{manifests.LABEL_PREFIX}/lock-reason"
REPOSITORY_LABEL = f"{manifests.LABEL_PREFIX}/repository-hash"
# An environment lock is a Lease that never expires on its own; Cite reads
# only its holder and annotations, so the duration is informational.
LOCK_DURATION_SECONDS = 365 * 24 * 3600


@dataclass(frozen=True)
class ReleaseState:
    """A release of a Service: its commit, pods and standby time."""

    name: str
    sha: str
    replicas: int
    ready: int
    unselected_at: str | None


@dataclass(frozen=True)
class ServiceState:
    """A Service with the release it selects and its other releases."""

    name: str
    namespace: str
    live: str | None
    annotations: dict[str, str]
    releases: list[ReleaseState]

    @property
    def live_release(self) -> ReleaseState | None:
        """The release the Service selects, if it still exists."""
        return next((r for r in self.releases if r.name == self.live), None)

    @property
    def standby(self) -> list[ReleaseState]:
        """The releases the Service does not select, newest first."""
        others = [r for r in self.releases if r.name != self.live]
        return sorted(others, key=lambda r: r.unselected_at or "", reverse=True)

    @property
    def overrides(self) -> dict[str, str]:
        """Settings that /scale made for later releases: replicas, cpu, memory."""
        return {
            key.removeprefix(OVERRIDE_PREFIX): value
            for key, value in self.annotations.items()
            if key.startswith(OVERRIDE_PREFIX)
        }


async def read_service(
    api: client.ApiClient, namespace: str, service: str
) -> ServiceState | None:
    """Return a Service and its releases, or None when the Service does not exist."""
    core = client.CoreV1Api(api)
    apps = client.AppsV1Api(api)
    try:
        with kubernetes_errors():
            found = await core.read_namespaced_service(service, namespace)
    except NotFound:
        return None
    with kubernetes_errors():
        listing = await apps.list_namespaced_deployment(
            namespace, label_selector=f"{manifests.SERVICE_LABEL}={service}"
        )
    releases = []
    for item in listing.items:
        labels = item.metadata.labels or {}
        annotations = item.metadata.annotations or {}
        status = item.status or client.V1DeploymentStatus()
        releases.append(
            ReleaseState(
                name=item.metadata.name,
                sha=labels.get(manifests.SHA_LABEL, ""),
                replicas=item.spec.replicas or 0,
                ready=status.ready_replicas or 0,
                unselected_at=annotations.get(manifests.UNSELECTED_AT_ANNOTATION),
            )
        )
    return ServiceState(
        name=service,
        namespace=namespace,
        live=(found.spec.selector or {}).get(manifests.RELEASE_LABEL) or None,
        annotations=dict(found.metadata.annotations or {}),
        releases=releases,
    )


async def set_overrides(
    api: client.ApiClient, namespace: str, service: str, overrides: dict[str, str]
) -> None:
    """Record settings on the Service that later releases of it use."""
    core = client.CoreV1Api(api)
    annotations = {f"{OVERRIDE_PREFIX}{key}": value for key, value in overrides.items()}
    with kubernetes_errors():
        await core.patch_namespaced_service(
            service,
            namespace,
            {"metadata": {"annotations": annotations}},
            _content_type="application/merge-patch+json",
        )


async def remove_service(
    api: client.ApiClient, namespace: str, service: str
) -> list[str]:
    """Delete a Service and every release of it; return the removed releases."""
    apps = client.AppsV1Api(api)
    core = client.CoreV1Api(api)
    with kubernetes_errors():
        listing = await apps.list_namespaced_deployment(
            namespace, label_selector=f"{manifests.SERVICE_LABEL}={service}"
        )
    removed = []
    for item in listing.items:
        try:
            with kubernetes_errors():
                await apps.delete_namespaced_deployment(
                    item.metadata.name, namespace, propagation_policy="Background"
                )
            removed.append(item.metadata.name)
        except NotFound:
            pass
    try:
        with kubernetes_errors():
            await core.delete_namespaced_service(service, namespace)
    except NotFound:
        pass
    return removed


@dataclass(frozen=True)
class EnvironmentLock:
    """The lock on a repository's environment: pull request, person and reason."""

    repository: str
    environment: str
    pull_request: int
    user: str
    reason: str


def lock_name(repository: str, environment: str) -> str:
    """Return the name of the Lease that locks a repository's environment.

    Environments belong to a repository on GitHub, so two repositories'
    ``staging`` are two locks.
    """
    return f"environment-{short_hash(repository.lower(), environment)}"


def _repository_label(repository: str) -> str:
    return short_hash(repository.lower())


def _lock_from(lease: client.V1Lease) -> EnvironmentLock | None:
    annotations = lease.metadata.annotations or {}
    labels = lease.metadata.labels or {}
    try:
        number = int(labels.get(PULL_REQUEST_LABEL, ""))
    except ValueError:
        return None
    return EnvironmentLock(
        repository=annotations.get(manifests.REPOSITORY_ANNOTATION, ""),
        environment=annotations.get(ENVIRONMENT_ANNOTATION, ""),
        pull_request=number,
        user=annotations.get(LOCK_USER_ANNOTATION, ""),
        reason=annotations.get(LOCK_REASON_ANNOTATION, ""),
    )


async def read_lock(
    api: client.ApiClient, namespace: str, repository: str, environment: str
) -> EnvironmentLock | None:
    """Return the lock on a repository's environment, or None when it is free."""
    coordination = client.CoordinationV1Api(api)
    try:
        with kubernetes_errors():
            lease = await coordination.read_namespaced_lease(
                lock_name(repository, environment), namespace
            )
    except NotFound:
        return None
    return _lock_from(lease)


async def take_lock(
    api: client.ApiClient, namespace: str, wanted: EnvironmentLock
) -> EnvironmentLock:
    """Lock an environment for a pull request; return the lock that holds it.

    The returned lock is another pull request's when that one held it first.
    """
    coordination = client.CoordinationV1Api(api)
    now = micro_time(datetime.now(UTC))
    body = {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {
            "name": lock_name(wanted.repository, wanted.environment),
            "namespace": namespace,
            "labels": {
                **MANAGED_LABELS,
                LOCK_KIND_LABEL: "environment",
                PULL_REQUEST_LABEL: str(wanted.pull_request),
                REPOSITORY_LABEL: _repository_label(wanted.repository),
            },
            "annotations": {
                manifests.REPOSITORY_ANNOTATION: wanted.repository,
                ENVIRONMENT_ANNOTATION: wanted.environment,
                LOCK_USER_ANNOTATION: wanted.user,
                LOCK_REASON_ANNOTATION: wanted.reason,
            },
        },
        "spec": {
            "holderIdentity": f"pull-request-{wanted.pull_request}",
            "leaseDurationSeconds": LOCK_DURATION_SECONDS,
            "acquireTime": now,
            "renewTime": now,
        },
    }
    try:
        with kubernetes_errors():
            await coordination.create_namespaced_lease(namespace, body)
        return wanted
    except (AlreadyExists, Conflict):
        current = await read_lock(api, namespace, wanted.repository, wanted.environment)
        return current or wanted


async def release_lock(
    api: client.ApiClient,
    namespace: str,
    repository: str,
    environment: str,
    pull_request: int,
) -> bool:
    """Unlock an environment held by the pull request; return whether it was."""
    current = await read_lock(api, namespace, repository, environment)
    if current is None or current.pull_request != pull_request:
        return False
    coordination = client.CoordinationV1Api(api)
    try:
        with kubernetes_errors():
            await coordination.delete_namespaced_lease(
                lock_name(repository, environment), namespace
            )
    except NotFound:
        return False
    return True


async def locks_of(
    api: client.ApiClient,
    namespace: str,
    repository: str,
    pull_request: int | None = None,
) -> list[EnvironmentLock]:
    """Return a repository's environment locks, or those of one pull request."""
    coordination = client.CoordinationV1Api(api)
    selector = (
        f"{LOCK_KIND_LABEL}=environment,"
        f"{REPOSITORY_LABEL}={_repository_label(repository)}"
    )
    if pull_request is not None:
        selector += f",{PULL_REQUEST_LABEL}={pull_request}"
    try:
        with kubernetes_errors():
            listing = await coordination.list_namespaced_lease(
                namespace, label_selector=selector
            )
    except NotFound:
        return []
    return [lock for item in listing.items if (lock := _lock_from(item)) is not None]
