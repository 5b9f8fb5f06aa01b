#!/usr/bin/env bash
# Set up the virtual environment, then run Cite with its GitHub and cluster
# simulators and play a build-to-live-traffic flow. Arguments go to the demo,
# for example --exit-after-flow.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh requirements-dev.txt
export TZ=UTC NO_PROXY=127.0.0.1,localhost,::1 no_proxy=127.0.0.1,localhost,::1
exec .venv/bin/python -m demo "$@"
