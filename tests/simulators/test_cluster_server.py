"""Discovery, health checks, the kubeconfig, shutdown and the command line."""

from __future__ import annotations

import asyncio
import socket
import sys

import aiohttp
import yaml
from conftest import deployment_body
from kubernetes_asyncio import client, config

from simulators.cluster import ClusterSimulator


async def test_version_and_health(http):
    async with http.get("/version") as response:
        version = await response.json()
    assert version["major"] == "1"
    assert version["minor"] == "32"
    assert version["gitVersion"] == "v1.32.0"
    for path in ("/healthz", "/readyz", "/livez"):
        async with http.get(path) as response:
            assert response.status == 200
            assert await response.text() == "ok"


async def test_discovery_documents(http):
    async with http.get("/api") as response:
        api = await response.json()
    assert api["kind"] == "APIVersions"
    assert api["versions"] == ["v1"]
    async with http.get("/apis") as response:
        groups = await response.json()
    names = {group["name"] for group in groups["groups"]}
    assert {"apps", "coordination.k8s.io"} <= names
    async with http.get("/apis/apps/v1") as response:
        resources = await response.json()
    assert resources["kind"] == "APIResourceList"
    by_name = {entry["name"]: entry for entry in resources["resources"]}
    assert by_name["deployments"]["shortNames"] == ["deploy"]
    assert by_name["deployments"]["namespaced"] is True
    assert "watch" in by_name["deployments"]["verbs"]
    assert by_name["deployments/scale"]["kind"] == "Scale"
    assert "deployments/status" in by_name
    async with http.get("/api/v1") as response:
        core = await response.json()
    core_names = {entry["name"]: entry for entry in core["resources"]}
    assert core_names["namespaces"]["namespaced"] is False
    assert core_names["services"]["shortNames"] == ["svc"]


async def test_kubeconfig_loads_in_the_client(cluster, cluster_url, tmp_path):
    path = cluster.write_kubeconfig(tmp_path / "config", cluster_url, token="secret")
    document = yaml.safe_load(path.read_text())
    assert document["clusters"][0]["cluster"]["server"] == cluster_url
    configuration = client.Configuration()
    await config.load_kube_config(
        config_file=str(path), client_configuration=configuration
    )
    assert configuration.host == cluster_url
    async with client.ApiClient(configuration) as api_client:
        namespaces = await client.CoreV1Api(api_client).list_namespace()
    names = [namespace.metadata.name for namespace in namespaces.items]
    assert names == ["default", "kube-node-lease", "kube-public", "kube-system"]


async def test_cleanup_leaves_no_tasks(aiohttp_server, cluster_settings):
    simulator = ClusterSimulator(cluster_settings)
    server = await aiohttp_server(simulator.make_app(), host="127.0.0.1")
    url = str(server.make_url("")).rstrip("/")
    configuration = client.Configuration(host=url)
    async with client.ApiClient(configuration) as api_client:
        apps = client.AppsV1Api(api_client)
        await apps.create_namespaced_deployment("default", deployment_body())
        await simulator.store.wait_for(
            lambda store: store.list("pods", "default"), timeout=5
        )
    before = asyncio.all_tasks()
    assert any(task.get_name().startswith("cluster-") for task in before)
    await server.close()
    after = asyncio.all_tasks()
    assert not [task for task in after if task.get_name().startswith("cluster-")]


async def test_open_watch_ends_at_shutdown(aiohttp_server, cluster_settings):
    simulator = ClusterSimulator(cluster_settings)
    server = await aiohttp_server(simulator.make_app(), host="127.0.0.1")
    url = str(server.make_url("/api/v1/namespaces/default/services?watch=1"))
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as response:
            assert response.status == 200
            closing = asyncio.ensure_future(server.close())
            assert await response.content.read() == b""
            await asyncio.wait_for(closing, 5)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_command_line_serves_and_stops(tmp_path):
    port = _free_port()
    kubeconfig = tmp_path / "kubeconfig"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "simulators.cluster",
        "--port",
        str(port),
        "--kubeconfig",
        str(kubeconfig),
        "--pod-ready-delay",
        "0.1",
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stderr is not None
        line = await asyncio.wait_for(process.stderr.readline(), 20)
        assert b"serving at http://127.0.0.1:" in line
        server = yaml.safe_load(kubeconfig.read_text())["clusters"][0]["cluster"]
        assert server["server"] == f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        code = await asyncio.wait_for(process.wait(), 20)
    assert code == 0
