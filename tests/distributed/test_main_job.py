"""``python -m ember --nproc 2`` trains the main model data-parallel and gets what one process
gets with the same global batch."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

import ember
from ember.__main__ import main

from . import helpers


@helpers.requires_mpi
def test_two_processes_train_like_one(tmp_path: Path, capsys) -> None:
    args = ["--epochs", "1", "--no-progress", "--batch-size", "64"]
    assert main([*args, "--out", str(tmp_path / "one")]) == 0
    one_line = capsys.readouterr().out.splitlines()[0]
    result = helpers.run([sys.executable, "-m", "ember", *args, "--nproc", "2",
                          "--out", str(tmp_path / "two")])
    assert result.returncode == 0, result.stderr[-3000:]
    two_line = helpers.lines_starting(result.stdout, "test accuracy:")
    assert len(two_line) == 1  # rank 0 alone reports
    assert "2 processes" in two_line[0]
    assert two_line[0].split("(")[0] == one_line.split("(")[0]  # the same accuracy
    one = json.loads((tmp_path / "one" / "metrics.json").read_text())
    two = json.loads((tmp_path / "two" / "metrics.json").read_text())
    assert two["processes"] == 2 and one["processes"] == 1
    assert two["test_accuracy"] == one["test_accuracy"]
    np.testing.assert_allclose(two["history"]["train_loss"], one["history"]["train_loss"],
                               rtol=1e-4)
    weights_one = ember.load(tmp_path / "one" / "model.safetensors")
    weights_two = ember.load(tmp_path / "two" / "model.safetensors")
    assert list(weights_one) == list(weights_two)  # saved without DDP's "module." prefix
    for name in weights_one:
        np.testing.assert_allclose(weights_two[name].numpy(), weights_one[name].numpy(),
                                   atol=1e-4)
