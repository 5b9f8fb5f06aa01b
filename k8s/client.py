"""Open the Kubernetes API client from a kubeconfig file or the in-cluster account."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from kubernetes_asyncio import client, config
from kubernetes_asyncio.config.config_exception import ConfigException

DEFAULT_KUBECONFIG = Path.home() / ".kube" / "config"
# kubernetes-asyncio logs every response body at DEBUG, the data of Secrets
# included, so its REST logger stays at INFO whatever the bot's level.
REST_LOGGER = "kubernetes_asyncio.client.rest"


class ClusterConfigError(Exception):
    """No usable Kubernetes configuration was found."""


async def load_configuration(kubeconfig: Path | None) -> client.Configuration:
    """Return the client configuration.

    The order is the one kubectl and client-go follow: the KUBECONFIG file when
    it is set, the pod's service account when running inside a cluster, and
    ``~/.kube/config`` otherwise.
    """
    configuration = client.Configuration()
    try:
        if kubeconfig is not None:
            await config.load_kube_config(
                config_file=str(kubeconfig), client_configuration=configuration
            )
        elif os.environ.get("KUBERNETES_SERVICE_HOST"):
            config.load_incluster_config(client_configuration=configuration)
        elif DEFAULT_KUBECONFIG.exists():
            await config.load_kube_config(
                config_file=str(DEFAULT_KUBECONFIG),
                client_configuration=configuration,
            )
        else:
            raise ClusterConfigError(
                "KUBECONFIG: not set, not running inside a cluster and "
                f"{DEFAULT_KUBECONFIG} does not exist; set KUBECONFIG to a "
                "kubeconfig file"
            )
    except (ConfigException, OSError) as error:
        where = kubeconfig or "the in-cluster service account"
        raise ClusterConfigError(
            f"KUBECONFIG: cannot load Kubernetes configuration from {where}: {error}"
        ) from error
    return configuration


def open_client(configuration: client.Configuration) -> client.ApiClient:
    """Return an API client; the caller closes it."""
    logging.getLogger(REST_LOGGER).setLevel(logging.INFO)
    return client.ApiClient(configuration=configuration)
