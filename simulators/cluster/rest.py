"""REST writes on resources: create, replace, patch and delete, and get."""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

import yaml

from simulators.cluster import patch as patching
from simulators.cluster.defaults import apply_defaults, initial_status
from simulators.cluster.errors import (
    ApiError,
    FieldError,
    GoLiteral,
    bad_request,
    conflict,
    invalid,
    invalid_value,
    not_found,
    required,
)
from simulators.cluster.names import generate_name
from simulators.cluster.params import parse_int, strip_list_item
from simulators.cluster.pods import qos_class
from simulators.cluster.registry import Registry
from simulators.cluster.resources import ResourceType
from simulators.cluster.selectors import field_matcher, label_matcher
from simulators.cluster.services import ClusterIPAllocator
from simulators.cluster.settings import ClusterSettings
from simulators.cluster.store import Store
from simulators.cluster.validation import (
    check_kind,
    check_schema,
    validate_create,
    validate_update,
)

_PROPAGATION = ("Foreground", "Background", "Orphan")
_GENERATE_NAME_ATTEMPTS = 8


class Rest:
    """Handlers of the resource verbs, shared by every resource type."""

    def __init__(
        self, store: Store, registry: Registry, settings: ClusterSettings
    ) -> None:
        self.store = store
        self.registry = registry
        self.settings = settings
        self.cluster_ips = ClusterIPAllocator(store)

    # Reads

    def get(
        self, resource: ResourceType, namespace: str | None, name: str
    ) -> dict[str, Any]:
        obj = self.store.get(resource.plural, namespace, name)
        if obj is None:
            raise not_found(resource.plural, resource.group, name)
        return obj

    def create(
        self, resource: ResourceType, namespace: str | None, body: Any, query: Any
    ) -> tuple[dict[str, Any], list[str]]:
        """Validate, default and store a new object (POST)."""
        check_kind(resource, body)
        metadata = body["metadata"]
        self._check_url_namespace(resource, metadata, namespace)
        warnings = check_schema(
            resource,
            body,
            self.settings.kubernetes_version,
            self._field_validation(query),
        )
        self.registry.check_namespace(resource, body)
        generated = not metadata.get("name") and bool(metadata.get("generateName"))
        if generated:
            metadata["name"] = generate_name(metadata["generateName"])
        status = initial_status(resource.kind)
        if status is not None:
            body["status"] = status
        # The uid exists before defaulting because a Job's selector names it.
        uid = str(uuid.uuid4())
        metadata["uid"] = uid
        apply_defaults(resource.kind, body)
        validate_create(resource, body, generated)
        if resource.kind == "Service":
            self.cluster_ips.assign(body)
        if resource.kind == "Pod":
            body["status"]["qosClass"] = qos_class(body["spec"])
        registry = self._registry(query, "CreateOptions")
        if not generated:
            return registry.create(resource, body, uid), warnings
        # A generated name that is taken gets new random characters, 8 times
        # at most, before the 409 reaches the client.
        for _ in range(_GENERATE_NAME_ATTEMPTS - 1):
            try:
                created = registry.create(resource, copy.deepcopy(body), uid)
                return created, warnings
            except ApiError as error:
                if error.reason != "AlreadyExists":
                    raise
                metadata["name"] = generate_name(metadata["generateName"])
        return registry.create(resource, body, uid), warnings

    def replace(
        self,
        resource: ResourceType,
        namespace: str | None,
        name: str,
        subresource: str | None,
        body: Any,
        query: Any,
    ) -> tuple[dict[str, Any], int, list[str]]:
        """Replace an object (PUT); returns the object, HTTP code and warnings."""
        check_kind(resource, body)
        metadata = body["metadata"]
        self._check_url_namespace(resource, metadata, namespace)
        if metadata.get("name") != name:
            raise bad_request(
                f"the name of the object ({metadata.get('name', '')}) does not match "
                f"the name on the URL ({name})"
            )

        old = self.store.get(resource.plural, namespace, name)
        if old is None:
            if resource.allow_create_on_update and subresource is None:
                created, warnings = self.create(resource, namespace, body, query)
                return created, 201, warnings
            raise not_found(resource.plural, resource.group, name)

        self._check_update_version(resource, name, metadata, old)
        warnings = check_schema(
            resource,
            body,
            self.settings.kubernetes_version,
            self._field_validation(query),
        )
        updated = self.finish_update(resource, body, old, subresource, query)
        return updated, 200, warnings

    @staticmethod
    def _check_update_version(
        resource: ResourceType,
        name: str,
        metadata: dict[str, Any],
        old: dict[str, Any],
    ) -> None:
        """Raise 409 for a stale resourceVersion and 422 for a missing one on Lease."""
        version = metadata.get("resourceVersion")
        if not version and resource.update_requires_resource_version:
            raise invalid(
                resource.kind,
                resource.group,
                name,
                [
                    invalid_value(
                        "metadata.resourceVersion",
                        GoLiteral("0x0"),
                        "must be specified for an update",
                    )
                ],
            )
        if version and version != old["metadata"]["resourceVersion"]:
            raise conflict(resource.plural, resource.group, name)

    def finish_update(
        self,
        resource: ResourceType,
        new: dict[str, Any],
        old: dict[str, Any],
        subresource: str | None,
        query: Any = None,
    ) -> dict[str, Any]:
        """Keep the parts a write may not change, default, validate and store."""
        if subresource == "status":
            updated = copy.deepcopy(old)
            if "status" in new:
                updated["status"] = new["status"]
            else:
                updated.pop("status", None)
            new = updated
        elif resource.has_status:
            if "status" in old:
                new["status"] = copy.deepcopy(old["status"])
            else:
                new.pop("status", None)
        apply_defaults(resource.kind, new)
        if resource.kind == "Service":
            self.cluster_ips.keep(new, old)
        validate_update(resource, new, old)
        return self._registry(query, "UpdateOptions").update(resource, new, old)

    def patch(
        self,
        resource: ResourceType,
        namespace: str | None,
        name: str,
        subresource: str | None,
        content_type: str,
        raw: bytes,
        query: Any,
    ) -> tuple[dict[str, Any], int, list[str]]:
        """Patch an object; apply patches create missing objects (201)."""
        if content_type not in patching.PATCH_TYPES:
            raise ApiError(
                415,
                "the body of the request was in an unknown format - accepted media "
                "types include: " + ", ".join(patching.PATCH_TYPES),
            )
        apply = content_type == patching.APPLY_PATCH
        self._check_patch_options(apply, query)
        document = _decode_patch(raw, apply)

        old = self.store.get(resource.plural, namespace, name)
        if old is None:
            if apply and subresource is None:
                return self._create_by_apply(resource, namespace, name, document, query)
            raise not_found(resource.plural, resource.group, name)

        patched = self._apply_patch(resource, old, content_type, document)
        patched_version = patched.get("metadata", {}).get("resourceVersion")
        if patched_version and patched_version != old["metadata"]["resourceVersion"]:
            raise conflict(resource.plural, resource.group, name)
        check_kind(resource, patched)
        metadata = patched["metadata"]
        if metadata.get("name") != name or metadata.get("namespace") != namespace:
            raise bad_request(
                "the name or namespace of the object may not be changed by a patch"
            )
        metadata["resourceVersion"] = old["metadata"]["resourceVersion"]

        warnings = check_schema(
            resource,
            patched,
            self.settings.kubernetes_version,
            self._field_validation(query),
        )
        updated = self.finish_update(resource, patched, old, subresource, query)
        return updated, 200, warnings

    def _create_by_apply(
        self,
        resource: ResourceType,
        namespace: str | None,
        name: str,
        document: Any,
        query: Any,
    ) -> tuple[dict[str, Any], int, list[str]]:
        """Create the object that an apply patch names (201)."""
        if not isinstance(document, dict):
            raise bad_request("the body of an apply patch must be an object")
        metadata = document.setdefault("metadata", {})
        if not isinstance(metadata, dict) or metadata.setdefault("name", name) != name:
            raise bad_request(
                f"the name of the object ({metadata.get('name')}) does not match the "
                f"name on the URL ({name})"
            )
        created, warnings = self.create(resource, namespace, document, query)
        return created, 201, warnings

    def _apply_patch(
        self,
        resource: ResourceType,
        old: dict[str, Any],
        content_type: str,
        document: Any,
    ) -> dict[str, Any]:
        if content_type == patching.JSON_PATCH:
            return patching.apply_json_patch(old, document)
        if content_type == patching.MERGE_PATCH:
            if not isinstance(document, dict):
                raise bad_request("patch body must be a JSON object")
            return patching.apply_merge_patch(old, document)
        merge = patching.StrategicMerge(
            self.settings.kubernetes_version, resource.kind, resource.api_version
        )
        # NOTE: server-side apply is approximated by a strategic merge of the
        # applied configuration. Fields that a manager stops applying are kept
        # instead of removed, and field ownership conflicts never occur.
        return merge.apply(old, document)

    def _check_patch_options(self, apply: bool, query: Any) -> None:
        errors: list[FieldError] = []
        if apply and not query.get("fieldManager"):
            errors.append(required("fieldManager", "is required for apply patch"))
        if not apply and "force" in query:
            from simulators.cluster.errors import forbidden

            errors.append(
                forbidden("force", "may not be specified for non-apply patch")
            )
        if errors:
            raise invalid("PatchOptions", "meta.k8s.io", "", errors)

    def delete(
        self,
        resource: ResourceType,
        namespace: str | None,
        name: str,
        options: dict[str, Any],
        query: Any,
    ) -> tuple[dict[str, Any], int]:
        """Delete an object; returns the response body and HTTP code."""
        propagation = query.get("propagationPolicy") or options.get("propagationPolicy")
        orphan = query.get("orphanDependents") or options.get("orphanDependents")
        if orphan is not None and propagation is None:
            propagation = (
                "Orphan" if str(orphan).lower() in ("true", "1") else "Foreground"
            )
        if propagation is not None and propagation not in _PROPAGATION:
            raise invalid(
                "DeleteOptions",
                "meta.k8s.io",
                "",
                [
                    FieldError(
                        "FieldValueNotSupported",
                        "propagationPolicy",
                        'supported values: "Foreground", "Background", "Orphan"',
                        propagation,
                    )
                ],
            )
        grace = parse_int(query.get("gracePeriodSeconds"), "gracePeriodSeconds")
        if grace is None:
            grace = options.get("gracePeriodSeconds")
        registry = self._registry(query, "DeleteOptions")
        obj, removed = registry.delete(
            resource,
            namespace,
            name,
            propagation,
            grace,
            options.get("preconditions"),
        )
        if removed and not resource.returns_deleted_object:
            details = {
                "name": name,
                "group": resource.group,
                "kind": resource.plural,
                "uid": obj["metadata"]["uid"],
            }
            if not resource.group:
                del details["group"]
            body = {
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Success",
                "details": details,
            }
            return body, 200
        code = 202 if (not removed and str(orphan).lower() in ("false", "0")) else 200
        return obj, code

    @staticmethod
    def delete_warnings(
        resource: ResourceType, options: dict[str, Any], query: Any
    ) -> list[str]:
        """Return the Warning of a delete that leaves the policy to the default."""
        chosen = any(
            source.get(key) is not None
            for source in (query, options)
            for key in ("propagationPolicy", "orphanDependents")
        )
        if chosen or resource.default_propagation_warning is None:
            return []
        return [resource.default_propagation_warning]

    def delete_collection(
        self,
        resource: ResourceType,
        namespace: str | None,
        options: dict[str, Any],
        query: Any,
    ) -> dict[str, Any]:
        """Delete every matching object and return them as a list."""
        labels = label_matcher(query.get("labelSelector"))
        fields = field_matcher(query.get("fieldSelector"), resource.plural)
        deleted = []
        for obj in self.store.list(resource.plural, namespace):
            if labels(obj) and fields(obj):
                metadata = obj["metadata"]
                body, _ = self.delete(
                    resource,
                    metadata.get("namespace"),
                    metadata["name"],
                    options,
                    query,
                )
                if body.get("kind") == resource.kind:
                    deleted.append(strip_list_item(body))
        return {
            "kind": resource.list_kind,
            "apiVersion": resource.api_version,
            "metadata": {"resourceVersion": str(self.store.resource_version)},
            "items": deleted,
        }

    def _registry(self, query: Any, options_kind: str) -> Registry:
        """Return the registry for a write, or a dry-run one for dryRun=All."""
        values = query.getall("dryRun", []) if hasattr(query, "getall") else []
        unsupported = [value for value in values if value != "All"]
        if unsupported:
            raise invalid(
                options_kind,
                "meta.k8s.io",
                "",
                [
                    FieldError(
                        "FieldValueNotSupported",
                        "dryRun",
                        'supported values: "All"',
                        unsupported,
                    )
                ],
            )
        return self.registry.dry_run() if values else self.registry

    def _field_validation(self, query: Any) -> str:
        return query.get("fieldValidation") or self.settings.default_field_validation

    @staticmethod
    def _check_url_namespace(
        resource: ResourceType, metadata: dict[str, Any], namespace: str | None
    ) -> None:
        if not resource.namespaced:
            return
        if metadata.get("namespace") not in (None, "", namespace):
            raise bad_request(
                "the namespace of the provided object does not match the namespace "
                "sent on the request"
            )
        metadata["namespace"] = namespace


def _decode_patch(raw: bytes, apply: bool) -> Any:
    try:
        if apply:
            return yaml.safe_load(raw)
        return json.loads(raw)
    except (ValueError, yaml.YAMLError) as error:
        raise bad_request(f"error decoding patch: {error}") from error
