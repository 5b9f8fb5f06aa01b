"""The cluster simulator: store, API routes and controllers in one aiohttp app."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from aiohttp import web

from simulators.cluster.api import ClusterApi
from simulators.cluster.clock import Clock
from simulators.cluster.controller import Controller, ControllerContext
from simulators.cluster.deployment import DeploymentController
from simulators.cluster.garbage_collector import GarbageCollector, NamespaceController
from simulators.cluster.job import JobController
from simulators.cluster.kubeconfig import write_kubeconfig
from simulators.cluster.kubelet import Kubelet
from simulators.cluster.registry import Registry
from simulators.cluster.replicaset import ReplicaSetController
from simulators.cluster.resources import BY_PLURAL
from simulators.cluster.rest import Rest
from simulators.cluster.scheduler import Scheduler
from simulators.cluster.settings import ClusterSettings
from simulators.cluster.store import Store
from simulators.cluster.watch import Watches

INITIAL_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


class ClusterSimulator:
    """A Kubernetes API server with a simulated control plane and one node.

    `make_app` returns the aiohttp application. Its controllers start and
    stop with the application through `cleanup_ctx`. Tests read the state
    through `store`, move time forward through `clock` and inspect
    `requests`: (method, path with query, HTTP status) of every API request.
    """

    def __init__(self, settings: ClusterSettings | None = None) -> None:
        self.settings = settings or ClusterSettings()
        self.store = Store(self.settings.watch_history_size)
        self.clock = Clock()
        self.clock.on_advance(self.store.notify)
        self.registry = Registry(self.store, self.clock)
        self.requests: list[tuple[str, str, int]] = []
        self.rest = Rest(self.store, self.registry, self.settings)
        self.watches = Watches(self.store, self.settings)
        self._controllers: list[Controller] = []
        self._create_initial_objects()

    def _create_initial_objects(self) -> None:
        for name in INITIAL_NAMESPACES:
            namespace = {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": name},
            }
            self.rest.create(BY_PLURAL["namespaces"], None, namespace, {})
        self.registry.create(BY_PLURAL["nodes"], self._node())

    def _node(self) -> dict[str, Any]:
        settings = self.settings
        resources = {
            "cpu": settings.node_cpu,
            "memory": settings.node_memory,
            "pods": str(settings.node_max_pods),
        }
        now = self.clock.timestamp()
        return {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": settings.node_name,
                "labels": {
                    "kubernetes.io/hostname": settings.node_name,
                    "kubernetes.io/os": "linux",
                    "kubernetes.io/arch": "amd64",
                },
            },
            "spec": {"podCIDR": "10.244.0.0/24", "podCIDRs": ["10.244.0.0/24"]},
            "status": {
                "capacity": resources,
                "allocatable": resources,
                "addresses": [
                    {"type": "InternalIP", "address": "10.0.0.10"},
                    {"type": "Hostname", "address": settings.node_name},
                ],
                "conditions": [
                    {
                        "type": "Ready",
                        "status": "True",
                        "lastHeartbeatTime": now,
                        "lastTransitionTime": now,
                        "reason": "KubeletReady",
                        "message": "kubelet is posting ready status",
                    }
                ],
                "nodeInfo": {
                    "kubeletVersion": f"v{settings.kubernetes_version}.0",
                    "containerRuntimeVersion": "containerd://1.7.24",
                    "operatingSystem": "linux",
                    "architecture": "amd64",
                    "osImage": "Cite cluster simulator",
                    "kernelVersion": "6.1.0",
                    "kubeProxyVersion": "",
                    "machineID": "",
                    "systemUUID": "",
                    "bootID": "",
                },
            },
        }

    def make_app(self) -> web.Application:
        """Return the aiohttp application that serves the Kubernetes API."""
        api = ClusterApi(self.rest, self.watches, self.settings, self.requests)
        app = web.Application(middlewares=[api.middleware])
        api.add_routes(app)
        app.cleanup_ctx.append(self._run_controllers)
        app.on_shutdown.append(self._close_watches)
        return app

    async def _close_watches(self, app: web.Application) -> None:
        self.watches.close_all()

    async def _run_controllers(self, app: web.Application) -> AsyncIterator[None]:
        context = ControllerContext(
            self.store, self.registry, self.clock, self.settings
        )
        self._controllers = [
            controller(context)
            for controller in (
                DeploymentController,
                ReplicaSetController,
                JobController,
                Scheduler,
                Kubelet,
                GarbageCollector,
                NamespaceController,
            )
        ]
        self.watches.reopen()
        for controller in self._controllers:
            controller.start()
        yield
        self.watches.close_all()
        for controller in self._controllers:
            await controller.stop()
        self._controllers = []

    def write_kubeconfig(
        self, path: str | os.PathLike[str], server_url: str, token: str | None = None
    ) -> Path:
        """Write a kubeconfig whose cluster server is `server_url`."""
        return write_kubeconfig(path, server_url, token)
