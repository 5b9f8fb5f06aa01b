"""Discovery documents (/api, /apis, APIResourceList), /version and health checks."""

from __future__ import annotations

from typing import Any

from simulators.cluster.resources import ALL_VERBS, ResourceType, group_versions

_SUBRESOURCE_VERBS = ("get", "patch", "update")


def api_versions(server_address: str) -> dict[str, Any]:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}
        ],
    }


def _group(group: str, version: str) -> dict[str, Any]:
    entry = {"groupVersion": f"{group}/{version}", "version": version}
    return {"name": group, "versions": [entry], "preferredVersion": entry}


def api_group_list() -> dict[str, Any]:
    groups = []
    for api_version in group_versions():
        if "/" in api_version:
            group, version = api_version.split("/")
            groups.append(_group(group, version))
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_group(group: str) -> dict[str, Any] | None:
    for api_version in group_versions():
        if api_version.split("/")[0] == group and "/" in api_version:
            document = _group(group, api_version.split("/")[1])
            document.update({"kind": "APIGroup", "apiVersion": "v1"})
            return document
    return None


def _entry(resource: ResourceType) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": resource.plural,
        "singularName": resource.singular,
        "namespaced": resource.namespaced,
        "kind": resource.kind,
        "verbs": list(ALL_VERBS),
    }
    if resource.short_names:
        entry["shortNames"] = list(resource.short_names)
    if resource.categories:
        entry["categories"] = list(resource.categories)
    return entry


def _subresource_entries(resource: ResourceType) -> list[dict[str, Any]]:
    entries = []
    for sub in resource.subresources:
        entry: dict[str, Any] = {
            "name": f"{resource.plural}/{sub}",
            "singularName": "",
            "namespaced": resource.namespaced,
            "kind": resource.kind,
            "verbs": list(_SUBRESOURCE_VERBS),
        }
        if sub == "scale":
            entry.update({"group": "autoscaling", "version": "v1", "kind": "Scale"})
        if sub == "finalize":
            entry["verbs"] = ["update"]
        if sub == "log":
            entry["verbs"] = ["get"]
        entries.append(entry)
    return entries


def api_resource_list(api_version: str) -> dict[str, Any] | None:
    resources = group_versions().get(api_version)
    if resources is None:
        return None
    entries = []
    for resource in resources:
        entries.append(_entry(resource))
        entries += _subresource_entries(resource)
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": api_version,
        "resources": entries,
    }


def version_info(minor_version: str) -> dict[str, str]:
    major, minor = minor_version.split(".")
    return {
        "major": major,
        "minor": minor,
        "gitVersion": f"v{major}.{minor}.0",
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2024-12-11T00:00:00Z",
        "goVersion": "go1.23.3",
        "compiler": "gc",
        "platform": "linux/amd64",
    }
