"""`python -m fastmlmd.cli`: the same as the `fastmlmd` console script."""
from __future__ import annotations

import sys

from fastmlmd.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
