"""ember.hub loads from the local cache only; it never downloads."""

from __future__ import annotations

import pytest

import ember


def test_load_state_dict_from_url_uses_the_cache(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    assert ember.hub.get_dir() == str(tmp_path / "hub")
    url = "https://example.invalid/models/tiny-1234.pth"
    with pytest.raises(RuntimeError, match="does not download files.*tiny-1234.pth"):
        ember.hub.load_state_dict_from_url(url)
    model = ember.nn.Linear(2, 2)
    (tmp_path / "hub" / "checkpoints").mkdir(parents=True)
    ember.save(model.state_dict(), tmp_path / "hub" / "checkpoints" / "tiny-1234.pth")
    state = ember.hub.load_state_dict_from_url(url, map_location="cpu", progress=False)
    assert ember.equal(state["weight"], model.weight.detach())
    other = tmp_path / "elsewhere"
    other.mkdir()
    ember.save(model.state_dict(), other / "named.pt")
    assert set(ember.hub.load_state_dict_from_url(url, model_dir=str(other),
                                                  file_name="named.pt")) == {"weight", "bias"}
    with pytest.raises(NotImplementedError, match="hub repository"):
        ember.hub.load("owner/repo", "model")
