"""Cite's aiohttp application: settings, GitHub App authentication, the webhook
endpoint and the background work that handles deliveries and deploys."""
