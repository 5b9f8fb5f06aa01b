"""The demo: Cite with its GitHub and cluster simulators, playing a deploy."""
