"""Strict JSON Schemas of Kubernetes kinds from kubernetes-validate, loaded once.

The package ships one schema per kind and a 1.3 MB `_definitions.json` per
Kubernetes minor version. Loading them is slow, so validators are compiled
once per kind and cached for the life of the process.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from importlib import resources
from typing import Any

import jsonschema
import referencing
from jsonschema.protocols import Validator

_DEFINITIONS_ID = "https://kubernetes.io/api/_definitions.json"
_MICRO_TIME = "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime"
_RFC3339 = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$", re.IGNORECASE
)
_RFC3339_MICRO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d\d:\d\d)$")

FORMAT_CHECKER = jsonschema.FormatChecker(formats=())


@FORMAT_CHECKER.checks("date-time")
def _is_time(value: object) -> bool:
    return not isinstance(value, str) or bool(_RFC3339.match(value))


@FORMAT_CHECKER.checks("k8s-micro-time")
def _is_micro_time(value: object) -> bool:
    return not isinstance(value, str) or bool(_RFC3339_MICRO.match(value))


def _schema_dir(version: str) -> Any:
    return (
        resources.files("kubernetes_validate")
        / "kubernetes-json-schema"
        / f"v{version}.0-local-strict"
    )


@functools.cache
def definitions(version: str) -> dict[str, Any]:
    """Return the `$defs` of `_definitions.json` for a Kubernetes minor version.

    MicroTime gets its own format name because Go parses it with exactly six
    fractional digits, while metav1.Time accepts any RFC 3339 time.
    """
    document = json.loads((_schema_dir(version) / "_definitions.json").read_text())
    document["$defs"][_MICRO_TIME]["format"] = "k8s-micro-time"
    return document


@functools.cache
def _registry(version: str) -> referencing.Registry:
    resource = referencing.Resource.from_contents(definitions(version))
    return referencing.Registry().with_resource(_DEFINITIONS_ID, resource)


@functools.cache
def validator(version: str, kind: str, api_version: str) -> Validator:
    """Return the compiled strict validator of one kind."""
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    path = _schema_dir(version) / f"{kind.lower()}-{group_version}.json"
    schema = json.loads(path.read_text())
    return jsonschema.Draft202012Validator(
        schema, registry=_registry(version), format_checker=FORMAT_CHECKER
    )


def definition(version: str, ref: str) -> dict[str, Any]:
    """Return the definition that a `$ref` such as `#/$defs/io.k8s…` names."""
    name = ref.rsplit("/", 1)[-1]
    return definitions(version)["$defs"][name]


def kind_properties(version: str, kind: str, api_version: str) -> dict[str, Any]:
    """Return the top-level schema of a kind, for walking its fields."""
    return validator(version, kind, api_version).schema


def iter_errors(
    version: str, kind: str, api_version: str, obj: dict[str, Any]
) -> Iterator[jsonschema.ValidationError]:
    return validator(version, kind, api_version).iter_errors(obj)
