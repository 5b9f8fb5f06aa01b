"""Slash commands on pull requests: parsing, permissions, actions and replies."""
