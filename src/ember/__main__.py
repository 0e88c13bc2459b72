"""``python -m ember``: ember's main job.

``python -m ember`` (or ``python -m ember train``) trains a small network on the 8x8 digits
shipped with ember and writes a loss/accuracy plot and the trained weights;
``python -m ember tour`` replays the seed notebook's autograd walkthrough;
``python -m ember --nproc 2`` trains the same model data-parallel on two MPI processes.
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    from . import train

    parser = argparse.ArgumentParser(
        prog="python -m ember",
        description="ember: PyTorch's autograd and training stack on NumPy. Without a command, "
                    "trains a network on the bundled 8x8 handwritten digits.")
    train.add_arguments(parser)
    sub = parser.add_subparsers(dest="command")
    train_parser = sub.add_parser("train", help="train on the 8x8 digits (the default)")
    train.add_arguments(train_parser)
    tour = sub.add_parser("tour", help="replay the autograd walkthrough of the seed notebook")
    tour.add_argument("--explain", action="store_true",
                      help="narrate the backward passes node by node, with numbers")
    args = parser.parse_args(argv)
    if args.command != "tour" and args.nproc > 1 and train.launched_ranks() is None:
        return train.launch(args.nproc, sys.argv[1:] if argv is None else list(argv))
    if args.command == "tour":
        from .tour import run

        run(explain=args.explain)
        return 0
    return train.run(args)


if __name__ == "__main__":
    sys.exit(main())
