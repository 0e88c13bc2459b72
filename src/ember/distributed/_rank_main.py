"""What each rank runs under ``python -m ember.distributed.run``: set torchrun's environment
variables from mpiexec's, then run the script (or module) as ``__main__``, ending the whole job
if it raises.

    mpiexec -n N python -m ember.distributed._rank_main [-m] SCRIPT_OR_MODULE [ARGS...]
"""

from __future__ import annotations

import os
import runpy
import sys

from ._mpi import run_as_rank, set_torch_env


def main(argv: list[str]) -> None:
    as_module = argv[:1] == ["-m"]
    if as_module:
        argv = argv[1:]
    if not argv:
        raise SystemExit("usage: python -m ember.distributed._rank_main [-m] SCRIPT [ARGS...]")
    set_torch_env()
    target, sys.argv = argv[0], list(argv)
    if as_module:
        run_as_rank(lambda: runpy.run_module(target, run_name="__main__", alter_sys=True))
    else:
        sys.path[0] = os.path.dirname(os.path.abspath(target))  # as `python SCRIPT` sets it
        run_as_rank(lambda: runpy.run_path(target, run_name="__main__"))


if __name__ == "__main__":
    main(sys.argv[1:])
