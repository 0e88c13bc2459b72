"""The core benchmarks (elementwise chains and the MLP step), now run by ``bench/run.py``.

Usage: ``python bench/bench_core.py [--repeat N] [--quick]``, the same as
``python bench/run.py --only chain_small,chain_long,mlp``.
"""

from __future__ import annotations

import sys

from run import main

if __name__ == "__main__":
    sys.exit(main(["--only", "chain_small,chain_long,mlp", *sys.argv[1:]]))
