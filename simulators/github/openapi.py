"""Validate requests and responses against GitHub's OpenAPI description."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema.exceptions import ValidationError, best_match
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from simulators.github.errors import GitHubError, invalid_request

DESCRIPTION_PATH = Path(__file__).parent / "data" / "github-rest-subset.json"
_ROOT_URI = "urn:github-rest-description"

# Places where GitHub's own description disagrees with what GitHub returns:
# a commit status without description or target_url carries null there.
_NULLABLE_ERRATA = [
    ("status", "description"),
    ("status", "target_url"),
    ("simple-commit-status", "target_url"),
]
# NOTE: the description limits a deployment status's `environment` to
# production, staging and qa, and that enum is enforced here although GitHub
# may accept other environment names.


@dataclass(frozen=True)
class Operation:
    """One operation of the description, with the path template it serves."""

    method: str
    template: str
    spec: dict[str, Any]
    pattern: re.Pattern[str]


class Description:
    """GitHub's REST description, indexed for request and response validation."""

    def __init__(self, path: Path = DESCRIPTION_PATH) -> None:
        self.document = json.loads(path.read_text(encoding="utf-8"))
        for schema_name, field in _NULLABLE_ERRATA:
            schema = self.document["components"]["schemas"][schema_name]
            schema["properties"][field]["nullable"] = True
        resource = Resource.from_contents(self.document, default_specification=DRAFT4)
        self.registry: Registry = Registry().with_resource(_ROOT_URI, resource)
        self.operations = [
            Operation(method.upper(), template, spec, _pattern(template, spec))
            for template, item in self.document["paths"].items()
            for method, spec in item.items()
            if method in ("get", "post", "patch", "put", "delete")
        ]

    def operation(self, method: str, path: str) -> Operation | None:
        """Return the operation serving this method and path, if described."""
        for operation in self.operations:
            if operation.method == method and operation.pattern.fullmatch(path):
                return operation
        return None

    def validator(self, schema: Mapping[str, Any]) -> OAS30Validator:
        return OAS30Validator(schema, registry=self.registry)

    def validator_at(self, *location: str) -> OAS30Validator:
        """Return a validator for the schema at this location in the document,
        so that its `#/components/...` references resolve."""
        escaped = (part.replace("~", "~0").replace("/", "~1") for part in location)
        pointer = "/".join(escaped)
        return self.validator({"$ref": f"{_ROOT_URI}#/{pointer}"})

    def resolve(self, node: Mapping[str, Any]) -> dict[str, Any]:
        """Follow a `$ref` within the description, if node is one."""
        while "$ref" in node:
            reference = node["$ref"].removeprefix("#/").split("/")
            target: Any = self.document
            for part in reference:
                target = target[part]
            node = target
        return dict(node)

    def check_query(self, operation: Operation, query: Mapping[str, str]) -> None:
        """Raise GitHub's 422 for a query parameter of the wrong type or value."""
        # NOTE: GitHub validates request bodies strictly but is documented to
        # be lenient with query parameters; this check is stricter than GitHub.
        for parameter in operation.spec.get("parameters", []):
            parameter = self.resolve(parameter)
            name = parameter["name"]
            if parameter["in"] != "query" or name not in query:
                continue
            value: Any = query[name]
            if parameter["schema"].get("type") == "integer":
                try:
                    value = int(value)
                except ValueError:
                    raise invalid_request(
                        f"For '{name}', {_inspect(value)} is not an integer."
                    ) from None
            errors = list(self.validator(parameter["schema"]).iter_errors(value))
            if errors:
                raise invalid_request(_describe(errors[0], prefix=name))

    def check_body(self, operation: Operation, body: Any) -> None:
        """Raise GitHub's 422 when a JSON body breaks the operation's schema."""
        content = operation.spec.get("requestBody", {}).get("content", {})
        if "schema" not in content.get("application/json", {}):
            return
        validator = self.validator_at(
            "paths",
            operation.template,
            operation.method.lower(),
            "requestBody",
            "content",
            "application/json",
            "schema",
        )
        error = best_match(validator.iter_errors(body))
        if error is not None:
            raise invalid_request(_describe(error))

    def response_errors(
        self, method: str, path: str, status: int, body: Any
    ) -> list[str]:
        """Return how a response breaks the description; empty when it conforms."""
        operation = self.operation(method, path)
        if operation is None:
            return [f"no operation describes {method} {path}"]
        responses = operation.spec["responses"]
        if str(status) in responses:
            content = self.resolve(responses[str(status)]).get("content", {})
            schema = content.get("application/json", {}).get("schema")
        elif status >= 400:
            # Some errors GitHub sends are missing from the description; they
            # still have the shape of its other errors.
            name = "validation-error" if status == 422 else "basic-error"
            schema = {"$ref": f"#/components/schemas/{name}"}
        else:
            return [f"status {status} is not described for {method} {path}"]
        if schema is None:
            return []
        # The schema is copied into a wrapper that resolves against the document.
        validator = self.validator(
            {"allOf": [schema], "components": self.document["components"]}
        )
        return [
            f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
            for error in validator.iter_errors(body)
        ]


@cache
def description() -> Description:
    """Return the description, parsed once per process."""
    return Description()


def _pattern(template: str, spec: dict[str, Any]) -> re.Pattern[str]:
    multi_segment = {
        parameter.get("name")
        for parameter in spec.get("parameters", [])
        if parameter.get("x-multi-segment")
    }

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        return f"(?P<{name}>.+)" if name in multi_segment else f"(?P<{name}>[^/]+)"

    return re.compile(re.sub(r"\\{(\w+)\\}", replace, re.escape(template)))


def _inspect(value: Any) -> str:
    """Show a value the way GitHub's messages do (Ruby's inspect)."""
    if value is None:
        return "nil"
    return json.dumps(value, ensure_ascii=False)


_ARTICLES = {"integer": "an integer", "object": "an object", "array": "an array"}


def _describe(error: ValidationError, prefix: str = "") -> str:
    """Word a schema violation as GitHub's "Invalid request" messages do."""
    location = "/".join(
        f"properties/{part}" if isinstance(part, str) else "items"
        for part in error.absolute_path
    )
    location = location or prefix
    where = f"For '{location}', " if location else ""
    value = _inspect(error.instance)
    if error.validator == "required":
        missing = [key for key in error.validator_value if key not in error.instance]
        return f"{where}{_inspect(missing[0])} wasn't supplied."
    if error.validator == "type":
        expected = error.validator_value
        article = _ARTICLES.get(expected, f"a {expected}")
        return f"{where}{value} is not {article}."
    if error.validator == "enum":
        return f"{where}{value} is not a member of {_inspect(error.validator_value)}."
    if error.validator in ("oneOf", "anyOf"):
        return f'{where}{value} does not match any subschema of "{error.validator}".'
    return f"{where}{error.message}."


def parse_json_body(raw: bytes) -> Any:
    """Decode a request body; raise GitHub's 400 when it is not JSON."""
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise GitHubError(400, "Problems parsing JSON") from None
