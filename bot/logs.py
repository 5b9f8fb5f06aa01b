"""Configure logging, and carry a delivery's ids on every later log line."""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

from pythonjsonlogger.json import JsonFormatter

# Context keys, in the order the text format prints them.
CONTEXT_KEYS = (
    "delivery",
    "event",
    "action",
    "installation",
    "repository",
    "deployment",
    "sha",
    "environment",
)


class ContextLogger(logging.LoggerAdapter):
    """A logger that adds its context (delivery id, repository, ...) to each record."""

    def process(
        self, msg: Any, kwargs: MutableMapping[str, Any]
    ) -> tuple[Any, MutableMapping[str, Any]]:
        extra = dict(self.extra or {})
        extra.update(kwargs.get("extra") or {})
        kwargs["extra"] = {"context": extra, **extra}
        return msg, kwargs

    def bind(self, **context: Any) -> ContextLogger:
        """Return a logger whose context also contains these keys."""
        merged = dict(self.extra or {})
        merged.update({key: value for key, value in context.items() if value})
        return ContextLogger(self.logger, merged)


def get_logger(name: str, **context: Any) -> ContextLogger:
    """Return a context logger for a module, optionally with initial context."""
    return ContextLogger(logging.getLogger(name), context)


class TextFormatter(logging.Formatter):
    """Plain one-line records with the context as ``key=value`` pairs at the end."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        context: Mapping[str, Any] = getattr(record, "context", {}) or {}
        pairs = [f"{key}={context[key]}" for key in CONTEXT_KEYS if key in context]
        pairs += [
            f"{key}={value}"
            for key, value in context.items()
            if key not in CONTEXT_KEYS
        ]
        return f"{line} [{' '.join(pairs)}]" if pairs else line


def configure_logging(level: str, log_format: str) -> None:
    """Send log records to standard error as text lines or JSON objects."""
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"levelname": "level", "name": "logger"},
                reserved_attrs=[*_STANDARD_ATTRIBUTES, "context"],
            )
        )
    else:
        handler.setFormatter(TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # aiohttp's access log repeats every webhook request, and the delivery line
    # has more detail.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)


_STANDARD_ATTRIBUTES = (
    "args",
    "asctime",
    "created",
    "exc_info",
    "exc_text",
    "filename",
    "funcName",
    "levelno",
    "lineno",
    "module",
    "msecs",
    "msg",
    "pathname",
    "process",
    "processName",
    "relativeCreated",
    "stack_info",
    "taskName",
    "thread",
    "threadName",
)
