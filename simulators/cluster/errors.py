"""API errors and the metav1 Status bodies the real API server returns for them."""

from __future__ import annotations

from typing import Any

REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    409: "Conflict",
    410: "Expired",
    415: "UnsupportedMediaType",
    422: "Invalid",
    500: "InternalError",
    504: "Timeout",
}


class ApiError(Exception):
    """An error that the API returns as a Status body with an HTTP code."""

    def __init__(
        self,
        code: int,
        message: str,
        reason: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason or REASONS.get(code, "Unknown")
        self.details = details

    def status(self) -> dict[str, Any]:
        """Return the Status object that describes this error."""
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
        }
        if self.details is not None:
            body["details"] = self.details
        body["code"] = self.code
        return body


def qualified(plural: str, group: str) -> str:
    """Return `plural.group`, or the plural alone for the core group."""
    return f"{plural}.{group}" if group else plural


def _details(name: str, group: str, kind: str, **extra: Any) -> dict[str, Any]:
    details: dict[str, Any] = {"name": name}
    if group:
        details["group"] = group
    details["kind"] = kind
    details.update(extra)
    return details


def not_found(plural: str, group: str, name: str) -> ApiError:
    return ApiError(
        404,
        f'{qualified(plural, group)} "{name}" not found',
        details=_details(name, group, plural),
    )


def already_exists(
    plural: str, group: str, name: str, being_deleted: bool = False
) -> ApiError:
    message = f'{qualified(plural, group)} "{name}" already exists'
    if being_deleted:
        message = "object is being deleted: " + message
    return ApiError(
        409, message, "AlreadyExists", details=_details(name, group, plural)
    )


def conflict(plural: str, group: str, name: str, cause: str | None = None) -> ApiError:
    cause = cause or (
        "the object has been modified; please apply your changes to the latest "
        "version and try again"
    )
    return ApiError(
        409,
        f'Operation cannot be fulfilled on {qualified(plural, group)} "{name}": '
        f"{cause}",
        "Conflict",
        details=_details(name, group, plural),
    )


def bad_request(message: str) -> ApiError:
    return ApiError(400, message, "BadRequest")


def forbidden_error(plural: str, group: str, name: str, reason: str) -> ApiError:
    """Return a 403 Forbidden error in the format of errors.NewForbidden."""
    resource = qualified(plural, group)
    if name:
        message = f'{resource} "{name}" is forbidden: {reason}'
    else:
        message = f"{resource} is forbidden: {reason}"
    details = _details(name, group, plural)
    if not name:
        del details["name"]
    return ApiError(403, message, "Forbidden", details=details)


def namespace_terminating(
    plural: str, group: str, name: str, namespace: str
) -> ApiError:
    error = forbidden_error(
        plural,
        group,
        name,
        f"unable to create new content in namespace {namespace} because it is "
        "being terminated",
    )
    assert error.details is not None
    error.details["causes"] = [
        {
            "reason": "NamespaceTerminating",
            "message": f"namespace {namespace} is being terminated",
            "field": "metadata.namespace",
        }
    ]
    return error


class FieldError:
    """One field.Error of the apimachinery validation package."""

    TYPES = {
        "FieldValueInvalid": "Invalid value",
        "FieldValueRequired": "Required value",
        "FieldValueForbidden": "Forbidden",
        "FieldValueNotSupported": "Unsupported value",
        "FieldValueDuplicate": "Duplicate value",
        "FieldValueTooLong": "Too long",
    }

    def __init__(
        self, reason: str, field: str, detail: str = "", value: Any = None
    ) -> None:
        self.reason = reason
        self.field = field
        self.detail = detail
        self.value = value

    def message(self) -> str:
        text = self.TYPES[self.reason]
        if self.reason in ("FieldValueInvalid", "FieldValueNotSupported"):
            text += f": {_go_value(self.value)}"
        if self.detail:
            text += f": {self.detail}"
        return text

    def cause(self) -> dict[str, str]:
        return {"reason": self.reason, "message": self.message(), "field": self.field}

    def __str__(self) -> str:
        return f"{self.field}: {self.message()}"


def invalid_value(field: str, value: Any, detail: str) -> FieldError:
    return FieldError("FieldValueInvalid", field, detail, value)


def required(field: str, detail: str = "") -> FieldError:
    return FieldError("FieldValueRequired", field, detail)


def forbidden(field: str, detail: str) -> FieldError:
    return FieldError("FieldValueForbidden", field, detail)


class GoLiteral(str):
    """A value that error messages print verbatim, such as Go's 0x0."""


def _go_value(value: Any) -> str:
    """Format a value the way field.Invalid prints it: strings quoted."""
    if isinstance(value, GoLiteral):
        return str(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, dict | list):
        import json

        return json.dumps(value, separators=(",", ":"))
    return str(value)


def invalid(kind: str, group: str, name: str, errors: list[FieldError]) -> ApiError:
    """Return the 422 Invalid error for a list of field errors."""
    qualified_kind = f"{kind}.{group}" if group else kind
    if len(errors) == 1:
        summary = str(errors[0])
    else:
        summary = "[" + ", ".join(str(error) for error in errors) + "]"
    return ApiError(
        422,
        f'{qualified_kind} "{name}" is invalid: {summary}',
        "Invalid",
        details=_details(name, group, kind, causes=[error.cause() for error in errors]),
    )
