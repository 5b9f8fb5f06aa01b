"""A Kubernetes API server simulator that speaks the real wire protocol over HTTP.

It serves core/v1, apps/v1, batch/v1 and coordination.k8s.io/v1 resources with
the real server's status codes, Status bodies, validation, patch types and
watch semantics, and runs a simulated control plane (deployment, ReplicaSet,
Job, garbage collector and namespace controllers, a scheduler and one
kubelet).
"""

from simulators.cluster.settings import ClusterSettings
from simulators.cluster.simulator import ClusterSimulator

__all__ = ["ClusterSettings", "ClusterSimulator"]
