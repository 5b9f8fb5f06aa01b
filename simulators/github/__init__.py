"""A simulated GitHub: the REST API a GitHub App calls and the webhooks it receives."""

from simulators.github.errors import GitHubError
from simulators.github.simulator import GitHubSimulator

__all__ = ["GitHubError", "GitHubSimulator"]
