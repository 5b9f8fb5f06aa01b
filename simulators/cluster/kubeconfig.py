"""Kubeconfig files that point kubernetes-asyncio and kubectl at the simulator."""

from __future__ import annotations

import os
from pathlib import Path

import yaml


def kubeconfig(server_url: str, token: str | None = None) -> dict[str, object]:
    """Return a kubeconfig with one cluster, one user and a current context."""
    user: dict[str, str] = {"token": token} if token else {}
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "cite-simulator", "cluster": {"server": server_url}}],
        "users": [{"name": "cite-simulator", "user": user}],
        "contexts": [
            {
                "name": "cite-simulator",
                "context": {
                    "cluster": "cite-simulator",
                    "user": "cite-simulator",
                    "namespace": "default",
                },
            }
        ],
        "current-context": "cite-simulator",
        "preferences": {},
    }


def write_kubeconfig(
    path: str | os.PathLike[str], server_url: str, token: str | None = None
) -> Path:
    """Write the kubeconfig readable only by its owner and return its path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(kubeconfig(server_url, token), sort_keys=False))
    target.chmod(0o600)
    return target
