"""The table of API resources that the simulator serves, with their REST rules."""

from __future__ import annotations

from dataclasses import dataclass

ALL_VERBS = (
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
)


@dataclass(frozen=True)
class ResourceType:
    """One REST resource: its names, scope and the registry rules of its kind."""

    plural: str
    singular: str
    kind: str
    group: str
    version: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()
    # "subdomain" (DNS-1123 subdomain), "label" (DNS-1123 label) or
    # "dns1035" (DNS-1035 label, which must start with a letter).
    name_rule: str = "subdomain"
    # Whether a DELETE answers with the deleted object instead of a Status.
    returns_deleted_object: bool = False
    default_propagation: str = "Background"
    # The Warning a DELETE gets when it names no propagation policy.
    default_propagation_warning: str | None = None
    # Lease: a PUT to a missing object creates it, and a PUT needs a
    # resourceVersion.
    allow_create_on_update: bool = False
    update_requires_resource_version: bool = False
    # Whether metadata.generation is set and raised on spec changes.
    has_generation: bool = False
    # Whether writes to the main resource ignore .status.
    has_status: bool = True
    categories: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def list_kind(self) -> str:
        return self.kind + "List"

    def base_path(self) -> str:
        return f"/apis/{self.api_version}" if self.group else "/api/v1"


RESOURCES: tuple[ResourceType, ...] = (
    ResourceType(
        "namespaces",
        "namespace",
        "Namespace",
        "",
        "v1",
        namespaced=False,
        short_names=("ns",),
        subresources=("status", "finalize"),
        name_rule="label",
        returns_deleted_object=True,
    ),
    ResourceType(
        "nodes",
        "node",
        "Node",
        "",
        "v1",
        namespaced=False,
        short_names=("no",),
        subresources=("status",),
    ),
    ResourceType(
        "services",
        "service",
        "Service",
        "",
        "v1",
        namespaced=True,
        short_names=("svc",),
        subresources=("status",),
        name_rule="dns1035",
        returns_deleted_object=True,
        categories=("all",),
    ),
    ResourceType(
        "pods",
        "pod",
        "Pod",
        "",
        "v1",
        namespaced=True,
        short_names=("po",),
        subresources=("status", "log"),
        returns_deleted_object=True,
        categories=("all",),
    ),
    ResourceType(
        "events",
        "event",
        "Event",
        "",
        "v1",
        namespaced=True,
        short_names=("ev",),
        has_status=False,
    ),
    ResourceType(
        "secrets",
        "secret",
        "Secret",
        "",
        "v1",
        namespaced=True,
        has_status=False,
    ),
    ResourceType(
        "deployments",
        "deployment",
        "Deployment",
        "apps",
        "v1",
        namespaced=True,
        short_names=("deploy",),
        subresources=("status", "scale"),
        has_generation=True,
        categories=("all",),
    ),
    ResourceType(
        "replicasets",
        "replicaset",
        "ReplicaSet",
        "apps",
        "v1",
        namespaced=True,
        short_names=("rs",),
        subresources=("status", "scale"),
        has_generation=True,
        categories=("all",),
    ),
    ResourceType(
        "jobs",
        "job",
        "Job",
        "batch",
        "v1",
        namespaced=True,
        subresources=("status",),
        # batch/v1 keeps the pods of a deleted Job unless asked otherwise.
        default_propagation="Orphan",
        default_propagation_warning=(
            "child pods are preserved by default when jobs are deleted; set "
            "propagationPolicy=Background to remove them instead"
        ),
        has_generation=True,
        categories=("all",),
    ),
    ResourceType(
        "leases",
        "lease",
        "Lease",
        "coordination.k8s.io",
        "v1",
        namespaced=True,
        allow_create_on_update=True,
        update_requires_resource_version=True,
        has_status=False,
    ),
)

BY_PLURAL = {resource.plural: resource for resource in RESOURCES}


def lookup(group: str, version: str, plural: str) -> ResourceType | None:
    """Return the resource served at group/version/plural, or None."""
    resource = BY_PLURAL.get(plural)
    if resource is None or resource.group != group or resource.version != version:
        return None
    return resource


def group_versions() -> dict[str, list[ResourceType]]:
    """Return the served resources grouped by apiVersion ("v1", "apps/v1", …)."""
    grouped: dict[str, list[ResourceType]] = {}
    for resource in RESOURCES:
        grouped.setdefault(resource.api_version, []).append(resource)
    return grouped
