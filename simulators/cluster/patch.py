"""JSON patch, JSON merge patch and strategic merge patch of stored objects.

Strategic merge patch reads the `x-kubernetes-patch-merge-key` and
`x-kubernetes-patch-strategy` extensions from the kind's schema, so lists such
as containers merge by name and Service ports by port.
"""

from __future__ import annotations

import copy
from typing import Any

import jsonpatch
import jsonpointer

from simulators.cluster import schemas
from simulators.cluster.errors import ApiError, bad_request

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
PATCH_TYPES = (JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH, APPLY_PATCH)


def apply_json_patch(target: dict[str, Any], operations: Any) -> dict[str, Any]:
    """Apply RFC 6902 operations; a bad document is 400, a failed op 422."""
    if not isinstance(operations, list):
        raise bad_request(
            "json: cannot unmarshal object into Go value of type jsonpatch.Patch"
        )
    try:
        patch = jsonpatch.JsonPatch(operations)
        return patch.apply(target)
    except jsonpatch.InvalidJsonPatch as error:
        raise bad_request(str(error)) from error
    except jsonpatch.JsonPatchTestFailed as error:
        raise ApiError(
            422,
            f"the server rejected our request due to an error in our request: {error}",
            "Invalid",
        ) from error
    except (jsonpatch.JsonPatchConflict, jsonpointer.JsonPointerException) as error:
        raise ApiError(422, str(error), "Invalid") from error


def apply_merge_patch(target: Any, patch: Any) -> Any:
    """Apply an RFC 7386 JSON merge patch: null deletes, lists are replaced."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = apply_merge_patch(result.get(key), value)
    return result


class StrategicMerge:
    """Strategic merge patch driven by the schema of one kind."""

    def __init__(self, version: str, kind: str, api_version: str) -> None:
        self._version = version
        self._schema = schemas.kind_properties(version, kind, api_version)

    def apply(self, target: dict[str, Any], patch: Any) -> dict[str, Any]:
        if not isinstance(patch, dict):
            raise bad_request(
                "json: cannot unmarshal array into Go value of type "
                "map[string]interface {}"
            )
        return self._merge_map(copy.deepcopy(target), patch, self._schema)

    def _resolve(self, schema: dict[str, Any] | None) -> dict[str, Any]:
        while schema and "$ref" in schema:
            merged = dict(schemas.definition(self._version, schema["$ref"]))
            for key, value in schema.items():
                if key != "$ref":
                    merged.setdefault(key, value)
            schema = merged
        return schema or {}

    def _field_schema(self, schema: dict[str, Any], key: str) -> dict[str, Any]:
        schema = self._resolve(schema)
        if key in schema.get("properties", {}):
            return self._resolve(schema["properties"][key])
        additional = schema.get("additionalProperties")
        return self._resolve(additional) if isinstance(additional, dict) else {}

    def _merge_map(
        self, target: dict[str, Any], patch: dict[str, Any], schema: dict[str, Any]
    ) -> dict[str, Any]:
        directive = patch.get("$patch")
        if directive == "replace":
            return {k: v for k, v in patch.items() if k != "$patch"}
        if directive == "delete":
            return {}
        retain = patch.get("$retainKeys")
        for key, value in patch.items():
            if key in ("$patch", "$retainKeys") or key.startswith("$setElementOrder/"):
                continue
            if key.startswith("$deleteFromPrimitiveList/"):
                field = key.split("/", 1)[1]
                target[field] = [v for v in target.get(field, []) if v not in value]
                continue
            if value is None:
                target.pop(key, None)
                continue
            field_schema = self._field_schema(schema, key)
            current = target.get(key)
            if isinstance(value, dict) and isinstance(current, dict):
                target[key] = self._merge_map(current, value, field_schema)
            elif isinstance(value, list) and isinstance(current, list):
                target[key] = self._merge_list(current, value, field_schema)
            else:
                target[key] = self._strip_directives(value)
        if retain is not None:
            for key in list(target):
                if key not in retain:
                    del target[key]
        return target

    def _merge_list(
        self, target: list[Any], patch: list[Any], schema: dict[str, Any]
    ) -> list[Any]:
        strategy = schema.get("x-kubernetes-patch-strategy", "")
        merge_key = schema.get("x-kubernetes-patch-merge-key")
        if any(
            isinstance(item, dict) and item.get("$patch") == "replace" for item in patch
        ):
            return [
                self._strip_directives(item)
                for item in patch
                if not (isinstance(item, dict) and "$patch" in item)
            ]
        if "merge" not in strategy.split(","):
            return self._strip_directives(patch)
        if not merge_key:
            merged = list(target)
            for item in patch:
                if item not in merged:
                    merged.append(item)
            return merged
        item_schema = self._resolve(schema.get("items"))
        merged = list(target)
        for item in patch:
            if not isinstance(item, dict) or merge_key not in item:
                raise bad_request(
                    f"map: {item} does not contain declared merge key: {merge_key}"
                )
            index = next(
                (
                    i
                    for i, existing in enumerate(merged)
                    if isinstance(existing, dict)
                    and existing.get(merge_key) == item[merge_key]
                ),
                None,
            )
            if item.get("$patch") == "delete":
                if index is not None:
                    del merged[index]
            elif index is None:
                merged.append(self._strip_directives(item))
            else:
                merged[index] = self._merge_map(merged[index], item, item_schema)
        return merged

    def _strip_directives(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: self._strip_directives(v)
                for k, v in value.items()
                if not k.startswith("$")
            }
        if isinstance(value, list):
            return [self._strip_directives(item) for item in value]
        return value
