"""Run the bot: ``python -m bot`` reads the settings and serves the webhook."""

from __future__ import annotations

import sys

from aiohttp import web

from bot.app import make_app
from bot.logs import configure_logging, get_logger
from bot.settings import SettingsError, load_settings
from k8s.client import ClusterConfigError


def main() -> int:
    """Start the web server; return an exit status for a start-up failure."""
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"cite: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format)
    try:
        web.run_app(
            make_app(settings),
            host=settings.host,
            port=settings.port,
            print=lambda message: get_logger("bot").info(message.strip()),
        )
    except ClusterConfigError as error:
        print(f"cite: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
