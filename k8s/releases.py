"""Create releases, wait until they are Ready, and switch Services between them."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kubernetes_asyncio import client, watch

from k8s import manifests
from k8s.errors import AlreadyExists, Conflict, Expired, NotFound, kubernetes_errors
from k8s.manifests import ReleaseSpec, Target

# Waiting reasons after which a pod does not become Ready without a new release.
FAILING_REASONS = frozenset(
    {
        "CrashLoopBackOff",
        "ImagePullBackOff",
        "ErrImagePull",
        "InvalidImageName",
        "CreateContainerConfigError",
        "CreateContainerError",
        "RunContainerError",
    }
)
# Server-side length of one watch request; the wait re-lists and watches again.
WATCH_SECONDS = 300
SWITCH_ATTEMPTS = 5

logger = logging.getLogger(__name__)


class ReleaseFailed(Exception):
    """A release cannot become Ready; the message states the reason for people."""


class Superseded(Exception):
    """A newer deployment owns the Service already, so this one must not switch."""


@dataclass(frozen=True)
class PodsState:
    """How far the pods of a release are: Ready count, or why they cannot be."""

    ready: int
    failure: str | None = None


@dataclass(frozen=True)
class Switch:
    """The outcome of pointing a Service at a release."""

    previous: str | None
    changed: bool
    at: str = ""


def now_rfc3339() -> str:
    """Return the current UTC time as Kubernetes writes timestamps."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def ensure_namespace(api: client.ApiClient, name: str, owner: str) -> None:
    """Create the organization's namespace unless it exists."""
    core = client.CoreV1Api(api)
    try:
        with kubernetes_errors():
            await core.read_namespace(name)
        return
    except NotFound:
        pass
    try:
        with kubernetes_errors():
            await core.create_namespace(manifests.namespace_manifest(name, owner))
        logger.info("Created namespace %s.", name)
    except AlreadyExists:
        pass


async def ensure_service(api: client.ApiClient, target: Target, port: int) -> None:
    """Create the target's Service unless it exists."""
    core = client.CoreV1Api(api)
    try:
        with kubernetes_errors():
            await core.read_namespaced_service(target.service, target.namespace)
        return
    except NotFound:
        pass
    try:
        with kubernetes_errors():
            await core.create_namespaced_service(
                target.namespace, manifests.service_manifest(target, port)
            )
        logger.info("Created Service %s/%s.", target.namespace, target.service)
    except AlreadyExists:
        pass


async def create_release(api: client.ApiClient, spec: ReleaseSpec) -> bool:
    """Create the release's Deployment; return False when it existed already."""
    apps = client.AppsV1Api(api)
    try:
        with kubernetes_errors():
            await apps.create_namespaced_deployment(
                spec.target.namespace, manifests.release_manifest(spec)
            )
    except AlreadyExists:
        await _scale_existing(apps, spec)
        return False
    return True


async def _scale_existing(apps: client.AppsV1Api, spec: ReleaseSpec) -> None:
    """Make an existing release run the requested number of pods."""
    patch = {
        "metadata": {"annotations": {manifests.UNSELECTED_AT_ANNOTATION: None}},
        "spec": {"replicas": spec.replicas},
    }
    with kubernetes_errors():
        await apps.patch_namespaced_deployment(
            spec.name,
            spec.target.namespace,
            patch,
            _content_type="application/merge-patch+json",
        )


def evaluate_pods(pods: dict[str, dict[str, Any]]) -> PodsState:
    """Count the Ready pods, or return why one of them cannot become Ready."""
    ready = 0
    for _name, pod in sorted(pods.items()):
        if pod.get("metadata", {}).get("deletionTimestamp"):
            continue
        failure = _pod_failure(pod)
        if failure:
            return PodsState(ready=ready, failure=failure)
        conditions = pod.get("status", {}).get("conditions") or []
        if any(
            c.get("type") == "Ready" and c.get("status") == "True" for c in conditions
        ):
            ready += 1
    return PodsState(ready=ready)


def _pod_failure(pod: dict[str, Any]) -> str | None:
    status = pod.get("status", {})
    if status.get("phase") == "Failed":
        return f"a pod failed: {status.get('reason') or status.get('message')}"
    for condition in status.get("conditions") or []:
        if (
            condition.get("type") == "PodScheduled"
            and condition.get("status") == "False"
            and condition.get("reason") == "Unschedulable"
        ):
            detail = condition.get("message") or "no node fits"
            return f"pods are unschedulable: {detail}"
    container_statuses = (status.get("initContainerStatuses") or []) + (
        status.get("containerStatuses") or []
    )
    for container in container_statuses:
        waiting = (container.get("state") or {}).get("waiting") or {}
        reason = waiting.get("reason")
        if reason in FAILING_REASONS:
            detail = waiting.get("message") or ""
            text = f"container {container.get('name')} is in {reason}"
            return f"{text}: {detail}" if detail else text
    return None


async def wait_until_ready(
    api: client.ApiClient, spec: ReleaseSpec, deadline_seconds: float
) -> None:
    """Watch the release's pods until all are Ready; raise ReleaseFailed if not.

    The wait lists the pods, then watches from the list's resourceVersion, and
    lists again when the watch ends or its resourceVersion has expired (410).
    """
    pods: dict[str, dict[str, Any]] = {}
    try:
        async with asyncio.timeout(deadline_seconds):
            while True:
                if await _watch_pods_once(api, spec, pods):
                    return
    except TimeoutError:
        state = evaluate_pods(pods)
        raise ReleaseFailed(
            f"timed out after {deadline_seconds:g} s with {state.ready} of "
            f"{spec.replicas} pods Ready"
        ) from None


async def _watch_pods_once(
    api: client.ApiClient, spec: ReleaseSpec, pods: dict[str, dict[str, Any]]
) -> bool:
    """List, then watch until Ready (True), a failure, or the watch ends (False)."""
    core = client.CoreV1Api(api)
    selector = f"{manifests.RELEASE_LABEL}={spec.name}"
    with kubernetes_errors():
        listing = await core.list_namespaced_pod(
            spec.target.namespace, label_selector=selector
        )
    await _check_release_exists(api, spec)
    pods.clear()
    for item in listing.items:
        pods[item.metadata.name] = api.sanitize_for_serialization(item)
    if _check(pods, spec):
        return True
    stream = watch.Watch()
    try:
        with kubernetes_errors():
            async for event in stream.stream(
                core.list_namespaced_pod,
                spec.target.namespace,
                label_selector=selector,
                resource_version=listing.metadata.resource_version,
                allow_watch_bookmarks=True,
                timeout_seconds=WATCH_SECONDS,
            ):
                if _apply_event(pods, event) and _check(pods, spec):
                    return True
                if event.get("type") == "DELETED":
                    await _check_release_exists(api, spec)
    except Expired:
        logger.info("Pod watch of %s expired; listing again.", spec.name)
    finally:
        await stream.close()
    return False


def _apply_event(pods: dict[str, dict[str, Any]], event: dict[str, Any]) -> bool:
    kind = event.get("type")
    pod = event.get("raw_object") or {}
    if kind not in ("ADDED", "MODIFIED", "DELETED"):
        return False
    name = pod["metadata"]["name"]
    if kind == "DELETED":
        pods.pop(name, None)
    else:
        pods[name] = pod
    return True


async def _check_release_exists(api: client.ApiClient, spec: ReleaseSpec) -> None:
    """Raise ReleaseFailed when the release or its namespace was deleted."""
    apps = client.AppsV1Api(api)
    try:
        with kubernetes_errors():
            found = await apps.read_namespaced_deployment(
                spec.name, spec.target.namespace
            )
    except NotFound:
        raise ReleaseFailed("the release was deleted while it started") from None
    if found.metadata.deletion_timestamp is not None:
        raise ReleaseFailed("the release is being deleted")


def _check(pods: dict[str, dict[str, Any]], spec: ReleaseSpec) -> bool:
    state = evaluate_pods(pods)
    if state.failure:
        raise ReleaseFailed(state.failure)
    return state.ready >= spec.replicas


async def switch_service(api: client.ApiClient, spec: ReleaseSpec) -> Switch:
    """Point the Service's selector at exactly this release.

    The write is a replace with the resourceVersion that was read, so a
    concurrent change makes it retry on fresh data. A Service already switched
    by a newer GitHub deployment is left alone and Superseded is raised.
    """
    core = client.CoreV1Api(api)
    target = spec.target
    for _attempt in range(SWITCH_ATTEMPTS):
        with kubernetes_errors():
            service = await core.read_namespaced_service(
                target.service, target.namespace
            )
        selector = dict(service.spec.selector or {})
        annotations = dict(service.metadata.annotations or {})
        previous = selector.get(manifests.RELEASE_LABEL) or None
        if previous == spec.name:
            return Switch(previous=None, changed=False)
        owner_id = annotations.get(manifests.DEPLOYMENT_ID_ANNOTATION)
        if _is_newer(owner_id, spec.deployment_id):
            raise Superseded(
                f"deployment {owner_id} is newer and already serves {target.service}"
            )
        service.spec.selector = {
            manifests.SERVICE_LABEL: target.service,
            manifests.RELEASE_LABEL: spec.name,
        }
        # The previous release and the switch time go into the same write, so
        # they are recorded even if the bot stops before marking the release.
        annotations[manifests.DEPLOYMENT_ID_ANNOTATION] = str(spec.deployment_id or "")
        switched_at = now_rfc3339()
        annotations[manifests.SELECTED_AT_ANNOTATION] = switched_at
        if previous:
            annotations[manifests.PREVIOUS_RELEASE_ANNOTATION] = previous
        service.metadata.annotations = annotations
        try:
            with kubernetes_errors():
                await core.replace_namespaced_service(
                    target.service, target.namespace, service
                )
        except Conflict:
            continue
        return Switch(previous=previous, changed=True, at=switched_at)
    raise Conflict(f"Service {target.service} kept changing; gave up after retries")


def _is_newer(owner_id: str | None, deployment_id: int | None) -> bool:
    if not owner_id or deployment_id is None:
        return False
    try:
        return int(owner_id) > deployment_id
    except ValueError:
        return False


async def mark_unselected(
    api: client.ApiClient, namespace: str, release: str, at: str
) -> None:
    """Record on a release when its Service stopped selecting it (RFC 3339)."""
    apps = client.AppsV1Api(api)
    patch = {"metadata": {"annotations": {manifests.UNSELECTED_AT_ANNOTATION: at}}}
    try:
        with kubernetes_errors():
            await apps.patch_namespaced_deployment(
                release, namespace, patch, _content_type="application/merge-patch+json"
            )
    except NotFound:
        logger.warning("Previous release %s/%s no longer exists.", namespace, release)


async def delete_release(api: client.ApiClient, namespace: str, release: str) -> None:
    """Delete a release's Deployment; its ReplicaSets and pods go with it."""
    apps = client.AppsV1Api(api)
    try:
        with kubernetes_errors():
            await apps.delete_namespaced_deployment(
                release, namespace, propagation_policy="Background"
            )
    except NotFound:
        pass


async def is_selected(api: client.ApiClient, spec: ReleaseSpec) -> bool:
    """Return whether the release's Service selects it now."""
    selected = await selected_release(api, spec.target.namespace, spec.target.service)
    return selected == spec.name


@dataclass(frozen=True)
class Release:
    """A release Deployment with the fields the clean-up uses."""

    namespace: str
    name: str
    service: str
    created: datetime
    unselected_at: datetime | None
    annotations: dict[str, str]


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


async def list_releases(api: client.ApiClient) -> list[Release]:
    """Return every release Cite manages, in all namespaces."""
    apps = client.AppsV1Api(api)
    selector = "app.kubernetes.io/managed-by=cite,app.kubernetes.io/component=release"
    with kubernetes_errors():
        listing = await apps.list_deployment_for_all_namespaces(label_selector=selector)
    releases = []
    for item in listing.items:
        metadata = item.metadata
        annotations = dict(metadata.annotations or {})
        releases.append(
            Release(
                namespace=metadata.namespace,
                name=metadata.name,
                service=(metadata.labels or {}).get(manifests.SERVICE_LABEL, ""),
                created=metadata.creation_timestamp,
                unselected_at=_parse_time(
                    annotations.get(manifests.UNSELECTED_AT_ANNOTATION)
                ),
                annotations=annotations,
            )
        )
    return releases


async def selected_release(
    api: client.ApiClient, namespace: str, service: str
) -> str | None:
    """Return the release a Service selects, or None."""
    core = client.CoreV1Api(api)
    try:
        with kubernetes_errors():
            found = await core.read_namespaced_service(service, namespace)
    except NotFound:
        return None
    return (found.spec.selector or {}).get(manifests.RELEASE_LABEL) or None
