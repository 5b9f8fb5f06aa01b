"""Serve the cluster simulator on loopback until SIGINT or SIGTERM.

Usage: python -m simulators.cluster --port 8443 --kubeconfig run/kubeconfig
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import signal

from aiohttp import web

from simulators.cluster import ClusterSettings, ClusterSimulator

logger = logging.getLogger("simulators.cluster")

HELP = {
    "pod_schedule_delay": "seconds from pod creation until the scheduler binds it",
    "pod_start_delay": "seconds a bound pod stays in ContainerCreating",
    "pod_ready_delay": "seconds from container start until Ready",
    "back_off_delay": "first image pull and crash loop back-off in seconds",
    "pod_termination_delay": "seconds the kubelet takes to stop a deleted pod",
    "job_pod_run_delay": "seconds a Job's container runs before it exits",
    "node_name": "name of the single simulated node",
    "node_cpu": "CPU capacity of the node, as a quantity such as 4 or 3500m",
    "node_memory": "memory capacity of the node, as a quantity such as 16Gi",
    "node_max_pods": "maximum number of pods on the node",
    "watch_history_size": "number of changes kept for resuming watches",
    "watch_timeout": "seconds a watch without timeoutSeconds stays open",
    "bookmark_interval": "seconds between BOOKMARK events",
    "default_field_validation": "Strict, Warn or Ignore when a request sets none",
    "kubernetes_version": "Kubernetes minor version of the schemas and /version",
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m simulators.cluster",
        description="Serve a simulated Kubernetes API server with one node.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind")
    parser.add_argument("--port", type=int, required=True, help="TCP port to bind")
    parser.add_argument(
        "--kubeconfig", required=True, help="path of the kubeconfig file to write"
    )
    parser.add_argument(
        "--token", default=None, help="bearer token to put in the kubeconfig"
    )
    types = {"float": float, "int": int, "str": str}
    for field in dataclasses.fields(ClusterSettings):
        kind = types.get(getattr(field.type, "__name__", str(field.type)))
        if kind is not None:
            option = "--" + field.name.replace("_", "-")
            parser.add_argument(
                option,
                type=kind,
                default=field.default,
                help=f"{HELP[field.name]} (default: %(default)s)",
            )
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    names = {field.name for field in dataclasses.fields(ClusterSettings)}
    settings = ClusterSettings(
        **{name: value for name, value in vars(args).items() if name in names}
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    simulator = ClusterSimulator(settings)
    runner = web.AppRunner(simulator.make_app())
    await runner.setup()
    site = web.TCPSite(runner, args.host, args.port)
    await site.start()
    host = f"[{args.host}]" if ":" in args.host else args.host
    url = f"http://{host}:{args.port}"
    simulator.write_kubeconfig(args.kubeconfig, url, args.token)
    logger.info(
        "Cluster simulator serving at %s; kubeconfig at %s", url, args.kubeconfig
    )
    await stop.wait()
    logger.info("Cluster simulator stopping")
    await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
