"""The container HEALTHCHECK: exit 0 when GET /healthz on $PORT answers 200 (slim images lack curl)."""

from __future__ import annotations

import os
import sys
import urllib.request

from foundry_contract import HEALTH_PATH


def main() -> int:
    url = f"http://127.0.0.1:{int(os.environ.get('PORT', '8080'))}{HEALTH_PATH}"
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return 0 if response.status == 200 else 1
    except OSError:
        return 1


if __name__ == "__main__":
    sys.exit(main())
