"""Validation rules of single kinds that JSON Schemas cannot express."""

from __future__ import annotations

import json
from typing import Any

from simulators.cluster.errors import (
    FieldError,
    forbidden,
    invalid_value,
    required,
)
from simulators.cluster.names import (
    LABEL_MESSAGE,
    is_dns1123_label,
    label_errors,
)
from simulators.cluster.quantity import parse_quantity
from simulators.cluster.selectors import selector_matches

_IMMUTABLE = "field is immutable"


def object_errors(kind: str, obj: dict[str, Any]) -> list[FieldError]:
    """Return the errors of one object of a kind, or an empty list."""
    rule = _RULES.get(kind)
    return rule(obj) if rule else []


def immutable_errors(
    kind: str, obj: dict[str, Any], old: dict[str, Any]
) -> list[FieldError]:
    """Return the errors of changes that the kind does not allow on update."""
    spec, old_spec = obj.get("spec") or {}, old.get("spec") or {}
    errors: list[FieldError] = []
    if kind in ("Deployment", "ReplicaSet", "Job") and spec.get(
        "selector"
    ) != old_spec.get("selector"):
        errors.append(invalid_value("spec.selector", spec.get("selector"), _IMMUTABLE))
    if kind == "Service":
        old_ip = old_spec.get("clusterIP")
        if old_ip and spec.get("clusterIP") not in (old_ip, None, ""):
            errors.append(
                invalid_value("spec.clusterIP", spec.get("clusterIP"), _IMMUTABLE)
            )
    if kind == "Pod":
        errors += _pod_update_errors(spec, old_spec)
    return errors


def _pod_update_errors(
    spec: dict[str, Any], old_spec: dict[str, Any]
) -> list[FieldError]:
    """Pods allow only image, activeDeadlineSeconds and toleration updates."""

    def mutable_removed(pod_spec: dict[str, Any]) -> dict[str, Any]:
        copy = json.loads(json.dumps(pod_spec))
        for key in ("activeDeadlineSeconds", "tolerations", "nodeName"):
            copy.pop(key, None)
        for container in copy.get("containers") or []:
            container.pop("image", None)
        return copy

    if mutable_removed(spec) != mutable_removed(old_spec):
        return [
            forbidden(
                "spec",
                "pod updates may not change fields other than "
                "`spec.containers[*].image`,`spec.initContainers[*].image`,"
                "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions "
                "to existing tolerations),`spec.terminationGracePeriodSeconds` "
                "(allow it to be set to 1 if it was previously negative)",
            )
        ]
    return []


def pod_spec_errors(
    spec: dict[str, Any], field: str, restart_policies: tuple[str, ...]
) -> list[FieldError]:
    """Validate containers, their names, images, ports and resources."""
    errors: list[FieldError] = []
    containers = spec.get("containers") or []
    if not containers:
        errors.append(required(f"{field}.containers"))
    seen: set[str] = set()
    for index, container in enumerate(containers):
        path = f"{field}.containers[{index}]"
        name = container.get("name", "")
        if not is_dns1123_label(name):
            errors.append(invalid_value(f"{path}.name", name, LABEL_MESSAGE))
        elif name in seen:
            errors.append(FieldError("FieldValueDuplicate", f"{path}.name", "", name))
        seen.add(name)
        if not (container.get("image") or "").strip():
            errors.append(required(f"{path}.image"))
        for port_index, port in enumerate(container.get("ports") or []):
            number = port.get("containerPort", 0)
            if not 1 <= number <= 65535:
                errors.append(
                    invalid_value(
                        f"{path}.ports[{port_index}].containerPort",
                        number,
                        "must be between 1 and 65535, inclusive",
                    )
                )
        errors += _resource_errors(container.get("resources") or {}, path)
    policy = spec.get("restartPolicy")
    if policy is not None and policy not in restart_policies:
        supported = ", ".join(f'"{value}"' for value in restart_policies)
        errors.append(
            FieldError(
                "FieldValueNotSupported",
                f"{field}.restartPolicy",
                f"supported values: {supported}",
                policy,
            )
        )
    return errors


def _resource_errors(resources: dict[str, Any], path: str) -> list[FieldError]:
    errors: list[FieldError] = []
    for section in ("requests", "limits"):
        for name, value in (resources.get(section) or {}).items():
            try:
                parse_quantity(value)
            except ValueError:
                errors.append(
                    invalid_value(
                        f"{path}.resources.{section}[{name}]",
                        value,
                        "must match the regex "
                        "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$",
                    )
                )
    return errors


def _workload_errors(obj: dict[str, Any]) -> list[FieldError]:
    """Rules shared by Deployment and ReplicaSet."""
    spec = obj.get("spec") or {}
    errors: list[FieldError] = []
    replicas = spec.get("replicas", 1)
    if replicas is not None and replicas < 0:
        errors.append(
            invalid_value(
                "spec.replicas", replicas, "must be greater than or equal to 0"
            )
        )
    selector = spec.get("selector")
    template = spec.get("template") or {}
    labels = (template.get("metadata") or {}).get("labels") or {}
    if selector is None:
        errors.append(required("spec.selector"))
    elif not (selector.get("matchLabels") or selector.get("matchExpressions")):
        errors.append(
            invalid_value(
                "spec.selector", selector, "empty selector is invalid for deployment"
            )
        )
    elif not selector_matches(selector, labels):
        errors.append(
            invalid_value(
                "spec.template.metadata.labels",
                labels,
                "`selector` does not match template `labels`",
            )
        )
    errors += label_errors(labels, "spec.template.metadata.labels")
    errors += pod_spec_errors(
        template.get("spec") or {}, "spec.template.spec", ("Always",)
    )
    return errors


def _deployment_errors(obj: dict[str, Any]) -> list[FieldError]:
    errors = _workload_errors(obj)
    spec = obj.get("spec") or {}
    deadline = spec.get("progressDeadlineSeconds")
    min_ready = spec.get("minReadySeconds") or 0
    if deadline is not None and deadline <= min_ready:
        errors.append(
            invalid_value(
                "spec.progressDeadlineSeconds",
                deadline,
                "must be greater than minReadySeconds",
            )
        )
    strategy = spec.get("strategy") or {}
    if strategy.get("type") == "Recreate" and strategy.get("rollingUpdate"):
        errors.append(
            forbidden(
                "spec.strategy.rollingUpdate",
                "may not be specified when strategy `type` is 'Recreate'",
            )
        )
    return errors


def _job_errors(obj: dict[str, Any]) -> list[FieldError]:
    """Check the selector, the pod template and the limits of a Job.

    The template's labels carry the Job's name, so a name longer than 63
    characters fails here as on the real server.
    """
    spec = obj.get("spec") or {}
    template = spec.get("template") or {}
    labels = (template.get("metadata") or {}).get("labels") or {}
    errors = label_errors(labels, "spec.template.metadata.labels")
    selector = spec.get("selector")
    if selector is None:
        errors.append(required("spec.selector"))
    elif not selector_matches(selector, labels):
        errors.append(
            invalid_value(
                "spec.template.metadata.labels",
                labels,
                "`selector` does not match template `labels`",
            )
        )
    for key in ("backoffLimit", "parallelism", "completions"):
        value = spec.get(key)
        if value is not None and value < 0:
            errors.append(
                invalid_value(
                    f"spec.{key}", value, "must be greater than or equal to 0"
                )
            )
    deadline = spec.get("activeDeadlineSeconds")
    if deadline is not None and deadline <= 0:
        errors.append(
            invalid_value(
                "spec.activeDeadlineSeconds", deadline, "must be greater than 0"
            )
        )
    errors += pod_spec_errors(
        template.get("spec") or {}, "spec.template.spec", ("OnFailure", "Never")
    )
    return errors


def _pod_errors(obj: dict[str, Any]) -> list[FieldError]:
    return pod_spec_errors(
        obj.get("spec") or {}, "spec", ("Always", "OnFailure", "Never")
    )


def _service_errors(obj: dict[str, Any]) -> list[FieldError]:
    spec = obj.get("spec") or {}
    errors: list[FieldError] = []
    service_type = spec.get("type", "ClusterIP")
    ports = spec.get("ports") or []
    if service_type != "ExternalName" and spec.get("clusterIP") != "None" and not ports:
        errors.append(required("spec.ports"))
    names: set[str] = set()
    for index, port in enumerate(ports):
        path = f"spec.ports[{index}]"
        name = port.get("name", "")
        if len(ports) > 1 and not name:
            errors.append(required(f"{path}.name"))
        elif name and name in names:
            errors.append(FieldError("FieldValueDuplicate", f"{path}.name", "", name))
        names.add(name)
        number = port.get("port", 0)
        if not 1 <= number <= 65535:
            errors.append(
                invalid_value(
                    f"{path}.port", number, "must be between 1 and 65535, inclusive"
                )
            )
    errors += label_errors(spec.get("selector"), "spec.selector")
    return errors


def _namespace_errors(obj: dict[str, Any]) -> list[FieldError]:
    return []


_RULES = {
    "Deployment": _deployment_errors,
    "ReplicaSet": _workload_errors,
    "Job": _job_errors,
    "Pod": _pod_errors,
    "Service": _service_errors,
    "Namespace": _namespace_errors,
}
