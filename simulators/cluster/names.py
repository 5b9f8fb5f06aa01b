"""Name, label and annotation rules of the apimachinery validation package."""

from __future__ import annotations

import re
import secrets
from typing import Any

from simulators.cluster.errors import FieldError, invalid_value

_SUBDOMAIN_PART = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_SUBDOMAIN = re.compile(rf"^{_SUBDOMAIN_PART}(\.{_SUBDOMAIN_PART})*$")
_LABEL = re.compile(rf"^{_SUBDOMAIN_PART}$")
_DNS1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")

SUBDOMAIN_MESSAGE = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
    "characters, '-' or '.', and must start and end with an alphanumeric "
    "character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
LABEL_MESSAGE = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric "
    "characters or '-', and must start and end with an alphanumeric character "
    "(e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
DNS1035_MESSAGE = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or "
    "'-', start with an alphabetic character, and end with an alphanumeric "
    "character (e.g. 'my-name',  or 'abc-123', regex used for validation is "
    "'[a-z]([-a-z0-9]*[a-z0-9])?')"
)
QUALIFIED_NAME_MESSAGE = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and "
    "must start and end with an alphanumeric character (e.g. 'MyName',  or "
    "'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
LABEL_VALUE_MESSAGE = (
    "a valid label must be an empty string or consist of alphanumeric "
    "characters, '-', '_' or '.', and must start and end with an alphanumeric "
    "character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for "
    "validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)

# Alphabet of generated names and pod-template-hash values: no vowels, so
# that no words appear, and no characters that look alike.
SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_MAX_GENERATED_PREFIX = 58


def _too_long(maximum: int) -> str:
    return f"must be no more than {maximum} characters"


def name_messages(rule: str, name: str) -> list[str]:
    """Return what is wrong with an object name under one naming rule."""
    messages = []
    for segment in (".", ".."):
        if name == segment:
            return [f"may not be '{segment}'"]
    for character in ("/", "%"):
        if character in name:
            messages.append(f"may not contain '{character}'")
    if rule == "subdomain":
        if len(name) > 253:
            messages.append(_too_long(253))
        if not _SUBDOMAIN.match(name):
            messages.append(SUBDOMAIN_MESSAGE)
    elif rule == "label":
        if len(name) > 63:
            messages.append(_too_long(63))
        if not _LABEL.match(name):
            messages.append(LABEL_MESSAGE)
    else:
        if len(name) > 63:
            messages.append(_too_long(63))
        if not _DNS1035.match(name):
            messages.append(DNS1035_MESSAGE)
    return messages


def is_dns1123_label(value: str) -> bool:
    return len(value) <= 63 and bool(_LABEL.match(value))


def generate_name(prefix: str) -> str:
    """Append five random characters to a generateName prefix."""
    prefix = prefix[:_MAX_GENERATED_PREFIX]
    return prefix + "".join(secrets.choice(SAFE_ALPHABET) for _ in range(5))


def qualified_name_messages(key: str) -> list[str]:
    """Return what is wrong with a label or annotation key."""
    prefix, slash, name = key.rpartition("/")
    messages = []
    if slash and not prefix:
        messages.append("prefix part must be non-empty")
    elif prefix:
        if len(prefix) > 253:
            messages.append("prefix part " + _too_long(253))
        if not _SUBDOMAIN.match(prefix):
            messages.append("prefix part " + SUBDOMAIN_MESSAGE)
    if not name:
        messages.append("name part must be non-empty")
    else:
        if len(name) > 63:
            messages.append("name part " + _too_long(63))
        if not _QUALIFIED_NAME.match(name):
            messages.append(QUALIFIED_NAME_MESSAGE)
    return messages


def label_errors(labels: Any, field: str) -> list[FieldError]:
    """Validate label keys and values (each value at most 63 characters)."""
    errors: list[FieldError] = []
    if not isinstance(labels, dict):
        return errors
    for key, value in labels.items():
        for message in qualified_name_messages(key):
            errors.append(invalid_value(field, key, message))
        value = value if isinstance(value, str) else ""
        if len(value) > 63:
            errors.append(invalid_value(field, value, _too_long(63)))
        if not _LABEL_VALUE.match(value):
            errors.append(invalid_value(field, value, LABEL_VALUE_MESSAGE))
    return errors


def annotation_errors(annotations: Any, field: str) -> list[FieldError]:
    """Validate annotation keys and the total size limit of 256 KiB."""
    errors: list[FieldError] = []
    if not isinstance(annotations, dict):
        return errors
    total = 0
    for key, value in annotations.items():
        for message in qualified_name_messages(key):
            errors.append(invalid_value(field, key, message))
        total += len(key) + len(value or "")
    if total > 256 * 1024:
        errors.append(
            FieldError(
                "FieldValueTooLong",
                field,
                "may not be more than 262144 bytes",
            )
        )
    return errors
