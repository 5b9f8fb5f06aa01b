"""ClusterIP allocation for Services from the default range 10.96.0.0/12."""

from __future__ import annotations

import ipaddress
from typing import Any

from simulators.cluster.errors import invalid, invalid_value
from simulators.cluster.store import Store

_RANGE = ipaddress.ip_network("10.96.0.0/12")


class ClusterIPAllocator:
    """Hand out free ClusterIPs in order, skipping 10.96.0.1 (kubernetes)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def _used(self) -> set[str]:
        used = {"10.96.0.1"}
        for service in self._store.list("services"):
            used.add(service.get("spec", {}).get("clusterIP", ""))
        return used

    def assign(self, service: dict[str, Any]) -> None:
        """Allocate spec.clusterIP and clusterIPs unless headless or ExternalName."""
        spec = service["spec"]
        if spec.get("type") == "ExternalName":
            return
        requested = spec.get("clusterIP")
        if requested == "None":
            spec["clusterIPs"] = ["None"]
            return
        used = self._used()
        if requested:
            if requested in used or ipaddress.ip_address(requested) not in _RANGE:
                raise invalid(
                    "Service",
                    "",
                    service["metadata"]["name"],
                    [
                        invalid_value(
                            "spec.clusterIPs",
                            [requested],
                            "failed to allocate IP "
                            f"{requested}: provided IP is already allocated",
                        )
                    ],
                )
            spec["clusterIPs"] = [requested]
            return
        for address in _RANGE.hosts():
            text = str(address)
            if text not in used:
                spec["clusterIP"] = text
                spec["clusterIPs"] = [text]
                return

    def keep(self, service: dict[str, Any], old: dict[str, Any]) -> None:
        """Carry the allocated address over when an update leaves it empty."""
        spec, old_spec = service.setdefault("spec", {}), old.get("spec", {})
        for key in ("clusterIP", "clusterIPs"):
            if not spec.get(key) and old_spec.get(key):
                spec[key] = old_spec[key]
