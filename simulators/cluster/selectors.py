"""Label and field selectors: parsing the query syntax and matching objects."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from simulators.cluster.errors import bad_request

Requirement = tuple[str, str, tuple[str, ...]]
Matcher = Callable[[dict[str, Any]], bool]

_TOKEN = re.compile(r"\s*(!=|==|=|>|<|\(|\)|,|!|[^\s!=<>(),]+)")
_LABEL_NAME = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")


def _tokenize(text: str) -> list[str]:
    tokens = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            if text[position:].strip() == "":
                break
            raise bad_request(f"unable to parse requirement: {text!r}")
        tokens.append(match.group(1))
        position = match.end()
    return tokens


def parse_label_selector(text: str) -> list[Requirement]:
    """Parse `k=v,k!=v,k in (a,b),k notin (a),k,!k,k>1` into requirements."""
    tokens = _tokenize(text)
    requirements: list[Requirement] = []
    index = 0

    def fail(detail: str) -> Exception:
        return bad_request(f'unable to parse requirement: {detail} in "{text}"')

    while index < len(tokens):
        if tokens[index] == "!":
            if index + 1 >= len(tokens):
                raise fail("missing key after '!'")
            requirements.append((tokens[index + 1], "!", ()))
            index += 2
        else:
            key = tokens[index]
            index += 1
            operator = tokens[index] if index < len(tokens) else ","
            if operator == ",":
                requirements.append((key, "exists", ()))
            elif operator in ("=", "==", "!=", ">", "<"):
                if index + 1 >= len(tokens) or tokens[index + 1] == ",":
                    value = ""
                    index += 1
                else:
                    value = tokens[index + 1]
                    index += 2
                if operator in (">", "<") and not value.lstrip("-").isdigit():
                    raise fail(f"for '{operator}', integer values are required")
                requirements.append((key, operator.replace("==", "="), (value,)))
            elif operator in ("in", "notin"):
                values, index = _parse_set(tokens, index + 1, fail)
                requirements.append((key, operator, values))
            else:
                raise fail(f"found '{operator}', expected: '=', '!=', 'in', 'notin'")
        _check_key(requirements[-1][0], text)
        if index < len(tokens):
            if tokens[index] != ",":
                raise fail(f"found '{tokens[index]}', expected: ','")
            index += 1
            if index >= len(tokens):
                raise fail("found '', expected: identifier")
    return requirements


def _parse_set(
    tokens: list[str], index: int, fail: Callable[[str], Exception]
) -> tuple[tuple[str, ...], int]:
    if index >= len(tokens) or tokens[index] != "(":
        raise fail("found '', expected: '('")
    values: list[str] = []
    index += 1
    while index < len(tokens) and tokens[index] != ")":
        if tokens[index] != ",":
            values.append(tokens[index])
        index += 1
    if index >= len(tokens):
        raise fail("found '', expected: ')'")
    return tuple(values), index + 1


def _check_key(key: str, text: str) -> None:
    prefix, _, name = key.rpartition("/")
    if not name or len(name) > 63 or not _LABEL_NAME.match(name) or len(prefix) > 253:
        raise bad_request(
            f'unable to parse requirement: invalid label key "{key}" in "{text}"'
        )


def requirement_matches(requirement: Requirement, labels: dict[str, str]) -> bool:
    key, operator, values = requirement
    present = key in labels
    value = labels.get(key)
    if operator == "exists":
        return present
    if operator == "!":
        return not present
    if operator == "=":
        return present and value == values[0]
    if operator == "!=":
        return not present or value != values[0]
    if operator == "in":
        return present and value in values
    if operator == "notin":
        return not present or value not in values
    if not present or not (value or "").lstrip("-").isdigit():
        return False
    number = int(value or "0")
    return number > int(values[0]) if operator == ">" else number < int(values[0])


def label_matcher(text: str | None) -> Matcher:
    """Return a predicate on objects for a labelSelector query parameter."""
    if not text:
        return lambda obj: True
    requirements = parse_label_selector(text)

    def matches(obj: dict[str, Any]) -> bool:
        labels = obj.get("metadata", {}).get("labels") or {}
        return all(requirement_matches(item, labels) for item in requirements)

    return matches


def selector_matches(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    """Match a metav1.LabelSelector (matchLabels and matchExpressions).

    An empty selector matches everything and a missing one matches nothing,
    as for ReplicaSets and Deployments.
    """
    if selector is None:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        operator = {
            "In": "in",
            "NotIn": "notin",
            "Exists": "exists",
            "DoesNotExist": "!",
        }[expression["operator"]]
        requirement = (
            expression["key"],
            operator,
            tuple(expression.get("values") or ()),
        )
        if not requirement_matches(requirement, labels):
            return False
    return True


def selector_to_string(selector: dict[str, Any]) -> str:
    """Format a LabelSelector in query syntax, as Scale.status.selector does."""
    parts = [
        f"{key}={value}"
        for key, value in sorted((selector.get("matchLabels") or {}).items())
    ]
    for expression in selector.get("matchExpressions") or []:
        key, operator = expression["key"], expression["operator"]
        values = ",".join(expression.get("values") or ())
        if operator == "In":
            parts.append(f"{key} in ({values})")
        elif operator == "NotIn":
            parts.append(f"{key} notin ({values})")
        elif operator == "Exists":
            parts.append(key)
        else:
            parts.append(f"!{key}")
    return ",".join(parts)


_COMMON_FIELDS = ("metadata.name", "metadata.namespace")
_EXTRA_FIELDS = {
    "pods": ("status.phase", "spec.nodeName", "spec.restartPolicy", "status.podIP"),
    "events": (
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
    ),
    "namespaces": ("status.phase",),
    "secrets": ("type",),
    "replicasets": ("status.replicas",),
}


def field_matcher(text: str | None, plural: str) -> Matcher:
    """Return a predicate for a fieldSelector; unsupported fields raise 400."""
    if not text:
        return lambda obj: True
    allowed = _COMMON_FIELDS + _EXTRA_FIELDS.get(plural, ())
    terms = []
    for term in text.split(","):
        match = re.fullmatch(r"\s*([^!=\s]+)\s*(!=|==|=)\s*(.*?)\s*", term)
        if match is None:
            raise bad_request(f'invalid selector: "{text}"; can\'t understand "{term}"')
        field, operator, value = match.groups()
        if field not in allowed:
            raise bad_request(f"field label not supported: {field}")
        terms.append((field, operator != "!=", value))

    def matches(obj: dict[str, Any]) -> bool:
        for field, equal, value in terms:
            actual = _field_value(obj, field)
            if (actual == value) != equal:
                return False
        return True

    return matches


def _field_value(obj: dict[str, Any], field: str) -> str:
    current: Any = obj
    for part in field.split("."):
        current = current.get(part) if isinstance(current, dict) else None
    if field == "source" and isinstance(current, dict):
        current = current.get("component")
    return "" if current is None else str(current)
