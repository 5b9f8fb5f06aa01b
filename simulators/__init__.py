"""Simulators of GitHub and of the Kubernetes API server, for tests and the demo;
production code never imports them."""
