"""Everything that talks to the Kubernetes API, through kubernetes-asyncio."""
