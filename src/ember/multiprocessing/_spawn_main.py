"""What each rank of ``ember.multiprocessing.spawn`` runs:

    mpiexec -n N python -m ember.multiprocessing._spawn_main FOLDER

FOLDER holds the parent's main-module description (``main.pkl``) and the pickled ``(fn,
args)`` (``fn.pkl``). A rank that raises writes its traceback to ``error-RANK`` for the parent
to re-raise, then ends the job.
"""

from __future__ import annotations

import multiprocessing.spawn as _mp_spawn
import os
import pickle
import sys
import traceback
from pathlib import Path

from ..distributed._mpi import end_job_after_failure, launcher_env, set_torch_env


def main(folder: Path) -> None:
    found = launcher_env()
    rank = found[0] if found else 0
    (folder / f"pid-{rank}").write_text(str(os.getpid()))
    set_torch_env()
    try:
        _mp_spawn.prepare(pickle.loads((folder / "main.pkl").read_bytes()))
        fn, args = pickle.loads((folder / "fn.pkl").read_bytes())
        fn(rank, *args)
    except SystemExit as stop:
        if stop.code in (None, 0):
            raise
        (folder / f"error-{rank}").write_text(f"SystemExit: {stop.code}\n")
        end_job_after_failure(stop.code if isinstance(stop.code, int) else 1)
    except BaseException:  # noqa: B036 - report everything, then end the job
        (folder / f"error-{rank}").write_text(traceback.format_exc())
        end_job_after_failure(1)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
