"""The convolution benchmarks (LeNet-5 and the small CNN), now run by ``bench/run.py``.

Usage: ``python bench/bench_conv.py [--repeat N] [--quick]``, the same as
``python bench/run.py --only lenet,cnn``.
"""

from __future__ import annotations

import sys

from run import main

if __name__ == "__main__":
    sys.exit(main(["--only", "lenet,cnn", *sys.argv[1:]]))
