"""``python -m ember``: ember's main job.

``python -m ember tour`` replays the seed notebook's autograd walkthrough.
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ember",
        description="ember: PyTorch's autograd and training stack on NumPy.")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("tour", help="replay the autograd walkthrough of the seed notebook")
    args = parser.parse_args(argv)
    if args.command in (None, "tour"):
        from .tour import run

        run()
        return 0
    parser.error(f"unknown command {args.command}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
