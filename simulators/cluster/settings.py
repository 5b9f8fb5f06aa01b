"""Settings of the cluster simulator: delays, node capacity and server limits."""

from dataclasses import dataclass


@dataclass
class ClusterSettings:
    """Tunable behaviour of the simulated cluster; every delay is in seconds.

    The defaults suit the demo: a pod becomes Ready about one second after it
    is created. Tests set much smaller delays.
    """

    # Time from pod creation until the scheduler binds the pod to the node.
    pod_schedule_delay: float = 0.1
    # Time the kubelet spends in ContainerCreating (pulling the image).
    pod_start_delay: float = 0.4
    # Time from the container starting until it reports Ready. An image whose
    # name contains "crashloop" exits after this time instead.
    pod_ready_delay: float = 0.5
    # Time between ErrImagePull and ImagePullBackOff, and between two
    # crash-loop restarts (the real kubelet backs off from 10 s to 5 min).
    back_off_delay: float = 0.5
    # Time the kubelet takes to stop the containers of a deleted pod before it
    # removes the pod; the real default grace period is 30 s.
    pod_termination_delay: float = 0.1
    # Time a container of a pod with restartPolicy Never or OnFailure, such as
    # a Job's build pod, runs before it exits. It exits with code 0, or with
    # code 1 when one of its arguments contains "fail-build".
    job_pod_run_delay: float = 1.0
    # Capacity of the single simulated node, as Kubernetes quantities.
    node_name: str = "sim-node-1"
    node_cpu: str = "4"
    node_memory: str = "16Gi"
    node_max_pods: int = 110
    # Number of watch events kept for watches that resume from an older
    # resourceVersion; older versions answer 410 Expired.
    watch_history_size: int = 10_000
    # Server-side watch timeout when the request sets no timeoutSeconds. The
    # real server picks a random time between 30 and 60 minutes.
    watch_timeout: float = 1800.0
    # Time between two BOOKMARK events on watches that allow them.
    bookmark_interval: float = 60.0
    # Field validation when the request sets no fieldValidation parameter.
    # NOTE: the real server defaults to "Warn" (drop unknown fields and send a
    # Warning header); "Strict" rejects them so that typos fail in tests.
    default_field_validation: str = "Strict"
    # Kubernetes minor version that the schemas and /version describe.
    kubernetes_version: str = "1.32"
