"""Fixtures for the cluster simulator's tests: a served simulator on loopback
and kubernetes-asyncio clients configured from its kubeconfig."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from kubernetes_asyncio import client, config

from simulators.cluster import ClusterSettings, ClusterSimulator

# Short delays of the simulated scheduler and kubelet keep the tests fast.
FAST_CLUSTER = {
    "pod_schedule_delay": 0.005,
    "pod_start_delay": 0.02,
    "pod_ready_delay": 0.02,
    "back_off_delay": 0.03,
    "pod_termination_delay": 0.005,
}


@pytest.fixture
def cluster_settings() -> ClusterSettings:
    """Settings of the simulator; a test module overrides this fixture."""
    return ClusterSettings(**FAST_CLUSTER)


@pytest.fixture
def cluster(cluster_settings: ClusterSettings) -> ClusterSimulator:
    return ClusterSimulator(cluster_settings)


@pytest.fixture
async def cluster_url(cluster, aiohttp_server, monkeypatch) -> str:
    """Serve the simulator on 127.0.0.1 and return its base URL."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    server = await aiohttp_server(cluster.make_app(), host="127.0.0.1")
    return str(server.make_url("")).rstrip("/")


@pytest.fixture
async def kube(cluster, cluster_url, tmp_path) -> AsyncIterator[client.ApiClient]:
    """A kubernetes-asyncio ApiClient loaded from the simulator's kubeconfig."""
    path = cluster.write_kubeconfig(tmp_path / "kubeconfig", cluster_url)
    configuration = client.Configuration()
    await config.load_kube_config(
        config_file=str(path), client_configuration=configuration
    )
    async with client.ApiClient(configuration) as api_client:
        yield api_client


@pytest.fixture
def core(kube) -> client.CoreV1Api:
    return client.CoreV1Api(kube)


@pytest.fixture
def apps(kube) -> client.AppsV1Api:
    return client.AppsV1Api(kube)


@pytest.fixture
async def http(cluster_url) -> AsyncIterator[aiohttp.ClientSession]:
    """A plain HTTP session for checking raw bodies, headers and media types."""
    async with aiohttp.ClientSession(base_url=cluster_url) as session:
        yield session


def deployment_body(
    name: str = "web",
    image: str = "nginx:1.27",
    replicas: int = 1,
    labels: dict[str, str] | None = None,
) -> dict:
    """Return a minimal valid apps/v1 Deployment manifest."""
    labels = labels or {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": dict(labels)},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": dict(labels)},
            "template": {
                "metadata": {"labels": dict(labels)},
                "spec": {"containers": [{"name": "app", "image": image}]},
            },
        },
    }


def service_body(name: str = "web", selector: dict[str, str] | None = None) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {
            "selector": selector or {"app": name},
            "ports": [{"port": 80, "targetPort": 8080}],
        },
    }
