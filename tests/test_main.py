"""The main job: ``python -m ember`` trains on the bundled digits (ember/train.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ember.__main__ import main


def test_main_job_trains_and_writes_outputs(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["--epochs", "12", "--out", str(tmp_path), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "test accuracy:" in out
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["test_accuracy"] >= 0.95
    assert (tmp_path / "model.safetensors").stat().st_size > 0
    assert (tmp_path / "metrics.png").stat().st_size > 0
    # the weights load back into the same model
    import ember
    from ember.train import build_model

    model = build_model("mlp")
    model.load_state_dict(ember.load(tmp_path / "model.safetensors"))


def test_cnn_option(tmp_path: Path) -> None:
    assert main(["train", "--model", "cnn", "--epochs", "2", "--out", str(tmp_path),
                 "--no-progress"]) == 0
    assert json.loads((tmp_path / "metrics.json").read_text())["model"] == "cnn"


def test_help_lists_options(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    for option in ("--epochs", "--model", "--lr", "--out", "tour"):
        assert option in text
