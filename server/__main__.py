"""`python -m fastmlmd.server [flags]`: see fastmlmd/server/flags.py for the flags (MLMD's, and a few more)."""
from __future__ import annotations

import logging
import sys
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        from fastmlmd.server import app, flags
    except ImportError as exc:
        print(f"fastmlmd.server needs grpcio and grpcio-health-checking ({exc}): "
              "pip install 'fastmlmd[server]'", file=sys.stderr)
        return 2
    try:
        settings = flags.parse(sys.argv[1:] if argv is None else argv)
        return app.run(settings)
    except (flags.FlagError, RuntimeError, ValueError) as exc:
        print(f"fastmlmd.server: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
