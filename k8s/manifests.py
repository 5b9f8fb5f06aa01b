"""Build the Kubernetes objects of a service: namespace, Service and releases."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from k8s.names import release_name

LABEL_PREFIX = "cite.dev"
SERVICE_LABEL = f"{LABEL_PREFIX}/service"
RELEASE_LABEL = f"{LABEL_PREFIX}/release"
SHA_LABEL = f"{LABEL_PREFIX}/sha"
REPOSITORY_ANNOTATION = f"{LABEL_PREFIX}/repository"
BRANCH_ANNOTATION = f"{LABEL_PREFIX}/branch"
ENVIRONMENT_ANNOTATION = f"{LABEL_PREFIX}/environment"
DEPLOYMENT_ID_ANNOTATION = f"{LABEL_PREFIX}/deployment-id"
INSTALLATION_ANNOTATION = f"{LABEL_PREFIX}/installation-id"
SELECTED_AT_ANNOTATION = f"{LABEL_PREFIX}/selected-at"
PREVIOUS_RELEASE_ANNOTATION = f"{LABEL_PREFIX}/previous-release"
UNSELECTED_AT_ANNOTATION = f"{LABEL_PREFIX}/unselected-at"
MANAGED_BY = "cite"
CONTAINER_NAME = "app"
SERVICE_PORT = 80

# A selector value that no release carries, for a Service with no release yet.
NO_RELEASE = ""


@dataclass(frozen=True)
class Target:
    """The place a repository and branch run in: namespace, Service and origin."""

    namespace: str
    service: str
    owner: str
    repository: str
    branch: str
    environment: str

    @property
    def full_name(self) -> str:
        """The repository as ``owner/name``."""
        return f"{self.owner}/{self.repository}"


@dataclass(frozen=True)
class ReleaseSpec:
    """The contents of one release: the commit's image and the pod settings."""

    target: Target
    sha: str
    image: str
    port: int
    replicas: int
    cpu: str
    memory: str
    readiness_path: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    deployment_id: int | None = None
    installation_id: int | None = None

    def container(self) -> dict[str, Any]:
        """Return the container of each pod of the release."""
        container: dict[str, Any] = {
            "name": CONTAINER_NAME,
            "image": self.image,
            "ports": [{"name": "http", "containerPort": self.port}],
            "env": [
                {"name": key, "value": value} for key, value in sorted(self.env.items())
            ],
            "resources": {
                "requests": {"cpu": self.cpu, "memory": self.memory},
                "limits": {"cpu": self.cpu, "memory": self.memory},
            },
        }
        if self.readiness_path:
            container["readinessProbe"] = {
                "httpGet": {"path": self.readiness_path, "port": "http"},
                "periodSeconds": 5,
                "failureThreshold": 3,
            }
        return container

    @property
    def template_hash(self) -> str:
        """A hash of the container, so another pod spec gets another release."""
        text = json.dumps(self.container(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def name(self) -> str:
        """The release's name, also its Deployment's name and label value."""
        return release_name(self.target.service, self.sha, self.template_hash)


def namespace_manifest(name: str, owner: str) -> dict[str, Any]:
    """Return the namespace of an organization."""
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": name,
            "labels": {"app.kubernetes.io/managed-by": MANAGED_BY},
            "annotations": {f"{LABEL_PREFIX}/owner": owner},
        },
    }


def service_manifest(target: Target, port: int) -> dict[str, Any]:
    """Return a Service for the target that selects no release yet."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": target.service,
            "namespace": target.namespace,
            "labels": {
                "app.kubernetes.io/name": target.service,
                "app.kubernetes.io/managed-by": MANAGED_BY,
                SERVICE_LABEL: target.service,
            },
            "annotations": {
                REPOSITORY_ANNOTATION: target.full_name,
                BRANCH_ANNOTATION: target.branch,
                ENVIRONMENT_ANNOTATION: target.environment,
            },
        },
        "spec": {
            "type": "ClusterIP",
            "selector": {SERVICE_LABEL: target.service, RELEASE_LABEL: NO_RELEASE},
            "ports": [
                {
                    "name": "http",
                    "port": SERVICE_PORT,
                    # The named port follows whatever port each release's
                    # container declares, so a config change of port works.
                    "targetPort": "http",
                    "protocol": "TCP",
                }
            ],
        },
    }


def release_labels(spec: ReleaseSpec) -> dict[str, str]:
    """Return the labels of a release's Deployment and pods."""
    return {
        "app.kubernetes.io/name": spec.target.service,
        "app.kubernetes.io/instance": spec.name,
        "app.kubernetes.io/version": spec.sha[:12],
        "app.kubernetes.io/component": "release",
        "app.kubernetes.io/managed-by": MANAGED_BY,
        SERVICE_LABEL: spec.target.service,
        RELEASE_LABEL: spec.name,
        SHA_LABEL: spec.sha,
    }


def release_manifest(spec: ReleaseSpec) -> dict[str, Any]:
    """Return the Deployment that runs one release next to the others."""
    labels = release_labels(spec)
    annotations = {
        REPOSITORY_ANNOTATION: spec.target.full_name,
        BRANCH_ANNOTATION: spec.target.branch,
        ENVIRONMENT_ANNOTATION: spec.target.environment,
    }
    if spec.deployment_id is not None:
        annotations[DEPLOYMENT_ID_ANNOTATION] = str(spec.deployment_id)
    if spec.installation_id is not None:
        annotations[INSTALLATION_ANNOTATION] = str(spec.installation_id)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": spec.name,
            "namespace": spec.target.namespace,
            "labels": labels,
            "annotations": annotations,
        },
        "spec": {
            "replicas": spec.replicas,
            "selector": {
                "matchLabels": {
                    SERVICE_LABEL: spec.target.service,
                    RELEASE_LABEL: spec.name,
                }
            },
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [spec.container()]},
            },
        },
    }
