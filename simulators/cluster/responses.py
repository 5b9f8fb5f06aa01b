"""JSON responses with the Warning header the real API server sends."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web


def json_response(
    body: Any, status: int = 200, warnings: list[str] | None = None
) -> web.Response:
    headers = {}
    if warnings:
        headers["Warning"] = ", ".join(
            '299 - "' + warning.replace('"', '\\"') + '"' for warning in warnings
        )
    return web.Response(
        text=json.dumps(body, separators=(",", ":")),
        status=status,
        content_type="application/json",
        headers=headers,
    )
