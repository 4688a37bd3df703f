"""`python -m harness.cli`: the `harness` command without its console script (tests and benchmarks run it so)."""

import sys

from harness.cli import main

sys.exit(main())
