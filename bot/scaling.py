"""Check the replicas, CPU and memory that /scale sets against the operator's limits."""

from __future__ import annotations

from bot.quantity import QuantityError, parse_quantity
from bot.repo_config import ConfigError, Limits


def check_overrides(overrides: dict[str, str], limits: Limits) -> None:
    """Raise ConfigError naming the first value that is invalid or above a limit."""
    replicas = overrides.get("replicas")
    if replicas is not None:
        if not replicas.isdigit() or int(replicas) < 1:
            raise ConfigError(
                f"replicas: expected a whole number of pods, got {replicas!r}"
            )
        if int(replicas) > limits.max_pods:
            raise ConfigError(
                f"replicas: {replicas} is above the limit of {limits.max_pods} pods"
            )
    for key, maximum in (("cpu", limits.max_cpu), ("memory", limits.max_memory)):
        value = overrides.get(key)
        if value is None:
            continue
        try:
            amount = parse_quantity(value)
        except QuantityError as error:
            raise ConfigError(f"{key}: {error}") from None
        if amount <= 0:
            raise ConfigError(f"{key}: expected more than 0, got {value}")
        if amount > parse_quantity(maximum):
            raise ConfigError(f"{key}: {value} is above the limit of {maximum}")
