"""Request validation: strict schemas, object metadata and immutable fields."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import jsonschema

from simulators.cluster import kind_rules, schemas
from simulators.cluster.errors import (
    FieldError,
    bad_request,
    forbidden,
    invalid,
    invalid_value,
    required,
)
from simulators.cluster.names import (
    annotation_errors,
    label_errors,
    name_messages,
)
from simulators.cluster.resources import ResourceType

_JSON_TYPES = {
    str: "string",
    bool: "bool",
    int: "number",
    float: "number",
    list: "array",
    dict: "object",
    type(None): "null",
}


def field_path(parts: Iterable[str | int]) -> str:
    """Format a JSON path the way field.Path prints it: a.b[0].c."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + part
    return text


def check_schema(
    resource: ResourceType,
    obj: dict[str, Any],
    version: str,
    field_validation: str,
) -> list[str]:
    """Validate against the strict schema of the kind.

    Unknown fields are rejected with 400 under "Strict", dropped with a
    warning under "Warn" and dropped silently under "Ignore", as the real
    server's fieldValidation parameter does. Wrong types and bad timestamps
    are decode errors (400); missing required fields are 422 Invalid.
    Returns the warnings for the Warning header.
    """
    if field_validation not in ("Strict", "Warn", "Ignore"):
        raise bad_request(
            f"fieldValidation parameter unsupported: {field_validation!r}; "
            "valid values are Strict, Warn and Ignore"
        )
    errors = list(
        schemas.iter_errors(version, resource.kind, resource.api_version, obj)
    )
    unknown = _unknown_fields(errors)
    if unknown and field_validation == "Strict":
        raise bad_request(
            "strict decoding error: "
            + ", ".join(f'unknown field "{path}"' for path, _ in unknown)
        )
    for _, (container, key) in unknown:
        container.pop(key, None)
    for error in errors:
        if error.validator in ("type", "oneOf", "format", "enum", "anyOf"):
            raise bad_request(_decode_message(resource, error))
    missing = [
        required(field_path([*error.absolute_path, _missing_property(error)]))
        for error in errors
        if error.validator == "required"
    ]
    if missing:
        name = obj.get("metadata", {}).get("name", "")
        raise invalid(resource.kind, resource.group, name, missing)
    remaining = [e for e in errors if e.validator not in ("additionalProperties",)]
    if remaining:
        raise bad_request(_decode_message(resource, remaining[0]))
    if field_validation == "Warn":
        return [f'unknown field "{path}"' for path, _ in unknown]
    return []


def _unknown_fields(
    errors: list[jsonschema.ValidationError],
) -> list[tuple[str, tuple[dict[str, Any], str]]]:
    unknown = []
    for error in errors:
        if error.validator != "additionalProperties":
            continue
        known = error.schema.get("properties", {})
        for key in error.instance:
            if key not in known:
                path = field_path([*error.absolute_path, key])
                unknown.append((path, (error.instance, key)))
    return unknown


def _missing_property(error: jsonschema.ValidationError) -> str:
    return error.message.split("'")[1] if "'" in error.message else ""


def _decode_message(resource: ResourceType, error: jsonschema.ValidationError) -> str:
    path = field_path(error.absolute_path)
    if error.validator == "format":
        detail = f'parsing time "{error.instance}" as RFC 3339 failed for field {path}'
    else:
        actual = _JSON_TYPES.get(type(error.instance), "value")
        detail = f"json: cannot unmarshal {actual} into Go struct field {path}"
    return (
        f'{resource.kind} in version "{resource.version}" cannot be handled as a '
        f"{resource.kind}: {detail}"
    )


def metadata_errors(
    resource: ResourceType, obj: dict[str, Any], generated: bool
) -> list[FieldError]:
    """Validate name, generateName, namespace, labels and annotations."""
    metadata = obj.get("metadata") or {}
    errors: list[FieldError] = []
    name = metadata.get("name", "")
    if generated:
        prefix = metadata.get("generateName", "")
        masked = prefix[:-1] + "a" if prefix.endswith("-") else prefix
        for message in name_messages(resource.name_rule, masked):
            errors.append(invalid_value("metadata.generateName", prefix, message))
    if not name:
        errors.append(required("metadata.name", "name or generateName is required"))
    else:
        for message in name_messages(resource.name_rule, name):
            errors.append(invalid_value("metadata.name", name, message))
    if resource.namespaced and not metadata.get("namespace"):
        errors.append(required("metadata.namespace"))
    if not resource.namespaced and metadata.get("namespace"):
        errors.append(forbidden("metadata.namespace", "not allowed on this type"))
    errors += label_errors(metadata.get("labels"), "metadata.labels")
    errors += annotation_errors(metadata.get("annotations"), "metadata.annotations")
    return errors


def validate_create(
    resource: ResourceType, obj: dict[str, Any], generated: bool = False
) -> None:
    """Raise 422 Invalid when a new object breaks a rule of its kind."""
    errors = metadata_errors(resource, obj, generated)
    errors += kind_rules.object_errors(resource.kind, obj)
    _raise_invalid(resource, obj, errors)


def validate_update(
    resource: ResourceType, obj: dict[str, Any], old: dict[str, Any]
) -> None:
    """Raise 422 Invalid for rule breaks and changes to immutable fields."""
    errors = metadata_errors(resource, obj, generated=False)
    errors += kind_rules.object_errors(resource.kind, obj)
    errors += kind_rules.immutable_errors(resource.kind, obj, old)
    _raise_invalid(resource, obj, errors)


def _raise_invalid(
    resource: ResourceType, obj: dict[str, Any], errors: list[FieldError]
) -> None:
    if errors:
        name = obj.get("metadata", {}).get("name", "")
        raise invalid(resource.kind, resource.group, name, errors)


def check_kind(resource: ResourceType, obj: Any) -> None:
    """Fill in a missing kind and apiVersion and reject ones for another type."""
    if not isinstance(obj, dict):
        raise bad_request(
            f"the body of the request is not a {resource.kind} object: expected "
            "a JSON object"
        )
    kind = obj.setdefault("kind", resource.kind)
    api_version = obj.setdefault("apiVersion", resource.api_version)
    if kind != resource.kind or api_version != resource.api_version:
        raise bad_request(
            f"the API version in the data ({api_version}) does not match the "
            f"expected API version ({resource.api_version})"
            if api_version != resource.api_version
            else f"the kind in the data ({kind}) does not match the expected kind "
            f"({resource.kind})"
        )
    if not isinstance(obj.setdefault("metadata", {}), dict):
        raise bad_request(
            f'{resource.kind} in version "{resource.version}" cannot be handled as '
            f"a {resource.kind}: json: cannot unmarshal into metadata"
        )
