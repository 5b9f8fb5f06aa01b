"""Run image builds as Kubernetes Jobs: the Secret, the Job, its outcome and log.

A build is a Job with one pod that runs a daemonless image builder (Kaniko's
executor by default) on the repository at one commit. The Git credentials
reach the builder only through a Secret that the container reads as
environment variables, so no token appears in the Job's spec or arguments.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kubernetes_asyncio import client, watch

from k8s.errors import AlreadyExists, Expired, Invalid, NotFound, kubernetes_errors
from k8s.manifests import (
    BRANCH_ANNOTATION,
    INSTALLATION_ANNOTATION,
    LABEL_PREFIX,
    MANAGED_BY,
    REPOSITORY_ANNOTATION,
    SHA_LABEL,
)

BUILD_KEY_LABEL = f"{LABEL_PREFIX}/build-key"
STATUS_CONTEXT_ANNOTATION = f"{LABEL_PREFIX}/status-context"
JOB_NAME_LABEL = "batch.kubernetes.io/job-name"
CONTAINER_NAME = "build"
# The builder reads Git credentials from these variables; Kaniko's executor
# uses GIT_USERNAME and GIT_PASSWORD for its git:// contexts.
USERNAME_KEY = "username"
PASSWORD_KEY = "password"
# GitHub accepts an installation token as the password of this user name.
TOKEN_USERNAME = "x-access-token"
# Server-side length of one watch request; the wait lists and watches again.
WATCH_SECONDS = 300

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuildSpec:
    """One build: where it runs, the source commit, and the image it pushes."""

    namespace: str
    name: str
    key: str
    owner: str
    repository: str
    ref: str
    sha: str
    git_url: str
    pull_method: str
    dockerfile: str
    context_dir: str | None
    destination: str
    builder_image: str
    cpu: str
    memory: str
    deadline_seconds: int
    registry_secret: str | None = None
    installation_id: int | None = None
    status_context: str = "cite/build"

    @property
    def context(self) -> str:
        """The builder's git context: repository, ref and the exact commit."""
        return f"git://{self.git_url}#{self.ref}#{self.sha}"

    def arguments(self) -> list[str]:
        """Return the executor's arguments; they carry no credentials."""
        arguments = [
            f"--context={self.context}",
            f"--dockerfile={self.dockerfile}",
            f"--destination={self.destination}",
        ]
        if self.context_dir:
            arguments.append(f"--context-sub-path={self.context_dir}")
        return arguments


@dataclass(frozen=True)
class BuildOutcome:
    """The end of a build Job; `gone` is True when it was deleted before it ended."""

    succeeded: bool
    reason: str = ""
    message: str = ""
    seconds: float | None = None
    gone: bool = False


def build_labels(spec: BuildSpec) -> dict[str, str]:
    """Return the labels of a build's Job, pod and Secret."""
    return {
        "app.kubernetes.io/name": spec.repository.lower()[:63].strip("-._") or "repo",
        "app.kubernetes.io/component": "build",
        "app.kubernetes.io/managed-by": MANAGED_BY,
        BUILD_KEY_LABEL: spec.key,
        SHA_LABEL: spec.sha,
    }


def _annotations(spec: BuildSpec) -> dict[str, str]:
    annotations = {
        REPOSITORY_ANNOTATION: f"{spec.owner}/{spec.repository}",
        BRANCH_ANNOTATION: spec.ref,
        STATUS_CONTEXT_ANNOTATION: spec.status_context,
    }
    if spec.installation_id is not None:
        annotations[INSTALLATION_ANNOTATION] = str(spec.installation_id)
    return annotations


def secret_manifest(spec: BuildSpec, token: str) -> dict[str, Any]:
    """Return the Secret that hands the Git credentials to the build."""
    data = {USERNAME_KEY: TOKEN_USERNAME, PASSWORD_KEY: token}
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": spec.name,
            "namespace": spec.namespace,
            "labels": build_labels(spec),
            "annotations": _annotations(spec),
        },
        "type": "Opaque",
        "data": {
            key: base64.b64encode(value.encode()).decode()
            for key, value in data.items()
        },
    }


def _secret_variable(name: str, secret: str, key: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def job_manifest(spec: BuildSpec) -> dict[str, Any]:
    """Return the Job that builds and pushes the image once, within a deadline."""
    resources = {"cpu": spec.cpu, "memory": spec.memory}
    container: dict[str, Any] = {
        "name": CONTAINER_NAME,
        "image": spec.builder_image,
        "args": spec.arguments(),
        "env": [
            _secret_variable("GIT_USERNAME", spec.name, USERNAME_KEY),
            _secret_variable("GIT_PASSWORD", spec.name, PASSWORD_KEY),
            # Kaniko fetches git:// contexts over https unless this is "http".
            {"name": "GIT_PULL_METHOD", "value": spec.pull_method},
        ],
        "resources": {"requests": resources, "limits": resources},
    }
    pod_spec: dict[str, Any] = {
        "restartPolicy": "Never",
        "automountServiceAccountToken": False,
        "containers": [container],
    }
    if spec.registry_secret:
        # A dockerconfigjson Secret with the push credentials of the registry.
        container["volumeMounts"] = [
            {"name": "registry", "mountPath": "/kaniko/.docker", "readOnly": True}
        ]
        pod_spec["volumes"] = [
            {
                "name": "registry",
                "secret": {
                    "secretName": spec.registry_secret,
                    "items": [{"key": ".dockerconfigjson", "path": "config.json"}],
                },
            }
        ]
    labels = build_labels(spec)
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": spec.name,
            "namespace": spec.namespace,
            "labels": labels,
            "annotations": _annotations(spec),
        },
        "spec": {
            # A failed build is reported, not retried: pushing again retries it.
            "backoffLimit": 0,
            "activeDeadlineSeconds": spec.deadline_seconds,
            "template": {"metadata": {"labels": labels}, "spec": pod_spec},
        },
    }


async def start_build(api: client.ApiClient, spec: BuildSpec, token: str) -> bool:
    """Create the build's Secret and Job; return False when the Job existed.

    The Secret is created first so that the pod finds it, then it gets an
    ownerReference to the Job, so the garbage collector removes it with the
    Job even if the bot never deletes it.
    """
    core = client.CoreV1Api(api)
    batch = client.BatchV1Api(api)
    try:
        with kubernetes_errors():
            await core.create_namespaced_secret(
                spec.namespace, secret_manifest(spec, token)
            )
    except AlreadyExists:
        with kubernetes_errors():
            await core.patch_namespaced_secret(
                spec.name,
                spec.namespace,
                {"data": secret_manifest(spec, token)["data"]},
            )
    created = True
    try:
        with kubernetes_errors():
            job = await batch.create_namespaced_job(spec.namespace, job_manifest(spec))
    except AlreadyExists:
        created = False
        with kubernetes_errors():
            job = await batch.read_namespaced_job(spec.name, spec.namespace)
    owner = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "name": spec.name,
        "uid": job.metadata.uid,
        "blockOwnerDeletion": False,
    }
    with kubernetes_errors():
        await core.patch_namespaced_secret(
            spec.name, spec.namespace, {"metadata": {"ownerReferences": [owner]}}
        )
    return created


def job_outcome(job: dict[str, Any]) -> BuildOutcome | None:
    """Return how a Job ended from its final condition, or None while it runs."""
    status = job.get("status") or {}
    for condition in status.get("conditions") or []:
        if condition.get("status") != "True":
            continue
        kind = condition.get("type")
        if kind not in ("Complete", "Failed"):
            continue
        ended = status.get("completionTime") or condition.get("lastTransitionTime")
        return BuildOutcome(
            succeeded=kind == "Complete",
            reason=condition.get("reason") or "",
            message=condition.get("message") or "",
            seconds=_seconds_between(status.get("startTime"), ended),
        )
    return None


def ended_at(job: dict[str, Any]) -> datetime | None:
    """Return when a finished Job ended, or None while it runs."""
    status = job.get("status") or {}
    times = [status.get("completionTime")] + [
        condition.get("lastTransitionTime")
        for condition in status.get("conditions") or []
        if condition.get("type") in ("Complete", "Failed")
        and condition.get("status") == "True"
    ]
    for text in times:
        if text:
            return datetime.fromisoformat(text.replace("Z", "+00:00"))
    return None


async def list_builds(api: client.ApiClient, namespace: str) -> list[dict[str, Any]]:
    """Return Cite's build Jobs in the build namespace."""
    batch = client.BatchV1Api(api)
    selector = "app.kubernetes.io/managed-by=cite,app.kubernetes.io/component=build"
    try:
        with kubernetes_errors():
            listing = await batch.list_namespaced_job(
                namespace, label_selector=selector
            )
    except NotFound:
        return []
    return [api.sanitize_for_serialization(item) for item in listing.items]


def _seconds_between(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    began = datetime.fromisoformat(start.replace("Z", "+00:00"))
    ended = datetime.fromisoformat(end.replace("Z", "+00:00"))
    return max((ended - began).total_seconds(), 0.0)


async def wait_for_build(
    api: client.ApiClient, namespace: str, name: str
) -> BuildOutcome:
    """Watch the build's Job until it completes, fails or is deleted.

    The wait lists the Job, then watches from the list's resourceVersion, and
    lists again when the watch ends or its resourceVersion has expired (410).
    """
    while True:
        outcome = await _watch_job_once(api, namespace, name)
        if outcome is not None:
            return outcome


async def _watch_job_once(
    api: client.ApiClient, namespace: str, name: str
) -> BuildOutcome | None:
    batch = client.BatchV1Api(api)
    selector = f"metadata.name={name}"
    with kubernetes_errors():
        listing = await batch.list_namespaced_job(namespace, field_selector=selector)
    if not listing.items:
        return BuildOutcome(succeeded=False, gone=True)
    outcome = job_outcome(api.sanitize_for_serialization(listing.items[0]))
    if outcome is not None:
        return outcome
    stream = watch.Watch()
    try:
        with kubernetes_errors():
            async for event in stream.stream(
                batch.list_namespaced_job,
                namespace,
                field_selector=selector,
                resource_version=listing.metadata.resource_version,
                allow_watch_bookmarks=True,
                timeout_seconds=WATCH_SECONDS,
            ):
                kind = event.get("type")
                if kind == "DELETED":
                    return BuildOutcome(succeeded=False, gone=True)
                if kind in ("ADDED", "MODIFIED"):
                    outcome = job_outcome(event.get("raw_object") or {})
                    if outcome is not None:
                        return outcome
    except Expired:
        logger.info("Watch of build Job %s expired; listing again.", name)
    finally:
        await stream.close()
    return None


async def delete_secret(api: client.ApiClient, namespace: str, name: str) -> None:
    """Delete a build's Secret unless it is gone already."""
    core = client.CoreV1Api(api)
    try:
        with kubernetes_errors():
            await core.delete_namespaced_secret(name, namespace)
    except NotFound:
        pass


async def delete_build(api: client.ApiClient, namespace: str, name: str) -> None:
    """Delete a build's Job with its pod, and its Secret.

    batch/v1 keeps a deleted Job's pods by default (Orphan), so the request
    sets Background propagation.
    """
    batch = client.BatchV1Api(api)
    try:
        with kubernetes_errors():
            await batch.delete_namespaced_job(
                name, namespace, propagation_policy="Background"
            )
    except NotFound:
        pass
    await delete_secret(api, namespace, name)


async def read_build_log(
    api: client.ApiClient, namespace: str, name: str, tail_lines: int | None = None
) -> str | None:
    """Return the log of the build's newest pod, or None when it has none.

    A pod that is still waiting to start has no log yet; the API server
    returns 400 for it, and this function an empty log.
    """
    core = client.CoreV1Api(api)
    with kubernetes_errors():
        pods = await core.list_namespaced_pod(
            namespace, label_selector=f"{JOB_NAME_LABEL}={name}"
        )
    if not pods.items:
        return None
    newest = max(pods.items, key=lambda pod: pod.metadata.creation_timestamp)
    options: dict[str, Any] = {"container": CONTAINER_NAME}
    if tail_lines is not None:
        options["tail_lines"] = tail_lines
    try:
        with kubernetes_errors():
            return await core.read_namespaced_pod_log(
                newest.metadata.name, namespace, **options
            )
    except NotFound:
        return None
    except Invalid:
        return ""
