"""Query parameters and request bodies as the real API server decodes them."""

from __future__ import annotations

import json
from typing import Any

import yaml
from aiohttp import web

from simulators.cluster.errors import ApiError, bad_request

_TRUE = ("1", "t", "T", "TRUE", "true", "True")
_FALSE = ("0", "f", "F", "FALSE", "false", "False")
_BODY_TYPES = ("application/json", "application/yaml", "")


def parse_bool(value: str | None, name: str) -> bool:
    """Parse a query flag with the spellings Go's strconv.ParseBool accepts."""
    if value is None:
        return False
    if value in _TRUE or value == "":
        return True
    if value in _FALSE:
        return False
    raise bad_request(f'invalid value "{value}" for parameter {name}: invalid syntax')


def parse_int(value: str | None, name: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError as error:
        raise bad_request(f"{name}: invalid value {value!r}: invalid syntax") from error


def strip_list_item(obj: dict[str, Any]) -> dict[str, Any]:
    """Drop kind and apiVersion, which list items do not carry."""
    obj.pop("kind", None)
    obj.pop("apiVersion", None)
    return obj


async def read_body(request: web.Request) -> Any:
    """Decode a JSON or YAML request body; 415 for other media types."""
    if request.content_type not in _BODY_TYPES:
        raise ApiError(
            415,
            "the body of the request was in an unknown format - accepted media "
            "types include: application/json, application/yaml, "
            "application/vnd.kubernetes.protobuf, application/cbor",
        )
    raw = await request.read()
    try:
        if request.content_type == "application/yaml":
            return yaml.safe_load(raw)
        return json.loads(raw) if raw else None
    except (ValueError, yaml.YAMLError) as error:
        raise bad_request(f"error decoding request body: {error}") from error
