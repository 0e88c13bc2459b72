"""Module: registration, traversal, modes, conversion, state dicts, hooks, repr."""

from __future__ import annotations

import copy
import pickle
from collections import OrderedDict
from typing import Any

import numpy as np
import pytest

import ember
import ember.nn as nn
from tests.conftest import requires_torch, torch, torch_message


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.act = nn.ReLU()
        self.block = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4))
        self.scale = nn.Parameter(ember.ones(1))
        self.register_buffer("step", ember.zeros(()))
        self.register_buffer("cache", ember.zeros(2), persistent=False)

    def forward(self, x: Any) -> Any:
        return self.block(self.act(self.fc1(x))) * self.scale


def _torch_net() -> Any:
    class TNet(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc1 = torch.nn.Linear(3, 4)
            self.act = torch.nn.ReLU()
            self.block = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.BatchNorm1d(4))
            self.scale = torch.nn.Parameter(torch.ones(1))
            self.register_buffer("step", torch.zeros(()))
            self.register_buffer("cache", torch.zeros(2), persistent=False)

    return TNet()


def test_registration_and_traversal() -> None:
    net = Net()
    assert [n for n, _ in net.named_parameters()] == [
        "scale", "fc1.weight", "fc1.bias", "block.0.weight", "block.0.bias", "block.1.weight",
        "block.1.bias"]
    assert [n for n, _ in net.named_buffers()] == [
        "step", "cache", "block.1.running_mean", "block.1.running_var",
        "block.1.num_batches_tracked"]
    assert list(net.state_dict()) == [
        "scale", "step", "fc1.weight", "fc1.bias", "block.0.weight", "block.0.bias",
        "block.1.weight", "block.1.bias", "block.1.running_mean", "block.1.running_var",
        "block.1.num_batches_tracked"]
    assert [n for n, _ in net.named_children()] == ["fc1", "act", "block"]
    assert [n for n, _ in net.named_modules()] == ["", "fc1", "act", "block", "block.0",
                                                   "block.1"]
    assert len(list(net.parameters(recurse=False))) == 1
    assert [n for n, _ in net.named_parameters(prefix="m", recurse=False)] == ["m.scale"]
    assert net.get_submodule("block.0") is net.block[0]
    assert net.get_parameter("block.0.bias") is net.block[0].bias
    assert net.get_buffer("block.1.running_mean") is net.block[1].running_mean
    assert "fc1" in dir(net) and "scale" in dir(net)
    assert net._get_name() == "Net"


def test_shared_parameters_listed_once() -> None:
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, lin)
    assert len(list(seq.parameters())) == 2
    assert len(list(seq.named_parameters(remove_duplicate=False))) == 4
    assert len(list(seq.modules())) == 2


@requires_torch
def test_matches_torch_structure() -> None:
    e, t = Net(), _torch_net()
    assert list(e.state_dict()) == list(t.state_dict())
    assert e.state_dict()._metadata == t.state_dict()._metadata


@requires_torch
@pytest.mark.parametrize("action", [
    lambda nn, lib, m: setattr(m, "fc1", lib.zeros(2)),
    lambda nn, lib, m: setattr(m, "scale", lib.zeros(2)),
    lambda nn, lib, m: setattr(m, "step", 3),
    lambda nn, lib, m: m.register_parameter("fc1", nn.Parameter(lib.zeros(1))),
    lambda nn, lib, m: m.register_parameter("a.b", None),
    lambda nn, lib, m: m.register_parameter("", None),
    lambda nn, lib, m: m.register_parameter("x", lib.zeros(1)),
    lambda nn, lib, m: m.register_parameter(1, None),
    lambda nn, lib, m: m.register_buffer("x", 3),
    lambda nn, lib, m: m.register_buffer("fc1", None),
    lambda nn, lib, m: m.add_module("x", 3),
    lambda nn, lib, m: m.add_module("a.b", nn.ReLU()),
    lambda nn, lib, m: m.nothing,
    lambda nn, lib, m: m.get_submodule("fc1.weight"),
    lambda nn, lib, m: m.get_submodule("nope"),
    lambda nn, lib, m: m.get_parameter("act"),
    lambda nn, lib, m: m.train("yes"),
    lambda nn, lib, m: m.to(lib.int64),
    lambda nn, lib, m: nn.Module().forward(),
])
def test_errors_match_torch(action: Any) -> None:
    with pytest.raises(Exception) as t_err:
        action(torch.nn, torch, _torch_net())
    with pytest.raises(type(t_err.value)) as e_err:
        action(ember.nn, ember, Net())
    assert torch_message(str(t_err.value)).replace("TNet", "Net").replace(
        "torch Tensor", "ember Tensor") \
        == str(e_err.value)


def test_setattr_moves_between_registries() -> None:
    net = Net()
    net.fc1 = None
    assert net.fc1 is None and "fc1" in net._modules
    net.extra = nn.Parameter(ember.zeros(2))
    assert "extra" in net._parameters
    del net.extra
    assert "extra" not in net._parameters
    with pytest.raises(AttributeError):
        _ = net.extra
    net.step = ember.ones(())
    assert net.step.item() == 1.0 and "step" in net._buffers
    assert list(net.state_dict())[:2] == ["scale", "step"]


def test_train_eval_apply_zero_grad_requires_grad() -> None:
    net = Net()
    assert net.training and net.block[1].training
    assert net.eval() is net and not net.block[1].training
    net.train()
    seen = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "ReLU", "Linear", "BatchNorm1d", "Sequential", "Net"]
    net(ember.randn(5, 3)).sum().backward()
    assert net.fc1.weight.grad is not None
    net.zero_grad(set_to_none=False)
    assert (net.fc1.weight.grad.numpy() == 0).all()
    net.zero_grad()
    assert net.fc1.weight.grad is None
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_dtype_conversion_keeps_parameter_identity() -> None:
    net = Net()
    weight = net.fc1.weight
    net(ember.randn(5, 3)).sum().backward()
    assert net.double() is net
    assert net.fc1.weight is weight and weight.dtype == ember.float64
    assert weight.grad.dtype == ember.float64
    assert isinstance(net.fc1.weight, nn.Parameter) and weight.requires_grad
    assert net.block[1].running_mean.dtype == ember.float64
    assert net.block[1].num_batches_tracked.dtype == ember.int64  # integers keep theirs
    net.float()
    assert weight.dtype == ember.float32
    net.to(ember.float64)
    assert weight.dtype == ember.float64
    net.to("cpu")
    assert net.half().fc1.weight.dtype == ember.float16
    assert net.cpu() is net


def test_state_dict_round_trip_and_errors() -> None:
    a, b = Net(), Net()
    state = a.state_dict()
    assert state["fc1.weight"].requires_grad is False
    assert np.shares_memory(state["fc1.weight"].numpy(), a.fc1.weight.detach().numpy())
    result = b.load_state_dict(state)
    assert repr(result) == "<All keys matched successfully>"
    assert result.missing_keys == [] and result.unexpected_keys == []
    np.testing.assert_array_equal(a.fc1.weight.detach().numpy(), b.fc1.weight.detach().numpy())
    assert not np.shares_memory(a.fc1.weight.detach().numpy(), b.fc1.weight.detach().numpy())
    assert b.state_dict(keep_vars=True)["scale"] is b.scale


@requires_torch
@pytest.mark.parametrize("edit", ["missing", "unexpected", "size", "both"])
def test_load_state_dict_messages_match_torch(edit: str) -> None:
    def run(lib: Any) -> Any:
        m = lib.nn.Linear(3, 2)
        state = dict(m.state_dict())
        if edit in ("missing", "both"):
            del state["bias"]
        if edit in ("unexpected", "both"):
            state["extra.weight"] = lib.zeros(1)
        if edit == "size":
            state["weight"] = lib.zeros(4, 3)
        with pytest.raises(RuntimeError) as err:
            m.load_state_dict(state)
        keys = m.load_state_dict(state, strict=False) if edit != "size" else None
        return str(err.value), repr(keys)

    (e_msg, e_keys), (t_msg, t_keys) = run(ember), run(torch)
    assert e_msg == torch_message(t_msg)
    assert e_keys == t_keys


def test_load_state_dict_assign() -> None:
    m = nn.Linear(2, 2)
    new = {"weight": ember.ones(2, 2), "bias": ember.zeros(2)}
    m.load_state_dict(new, assign=True)
    assert isinstance(m.weight, nn.Parameter) and m.weight.requires_grad
    assert m.weight.tolist() == [[1.0, 1.0], [1.0, 1.0]]
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
        m.load_state_dict([1, 2])


def test_forward_hooks() -> None:
    m = nn.Linear(2, 2)
    calls = []
    h1 = m.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    h2 = m.register_forward_hook(lambda mod, args, out: calls.append("post") or out + 1)
    h3 = m.register_forward_hook(lambda mod, args, out: calls.append("first"), prepend=True)
    out = m(ember.ones(1, 2))
    np.testing.assert_allclose(out.detach().numpy(), m.bias.detach().numpy()[None] + 1,
                               rtol=1e-6)
    assert calls == ["first", "post"]
    for h in (h1, h2, h3):
        h.remove()
    assert not m._forward_hooks and not m._forward_pre_hooks

    def pre_kw(mod: Any, args: tuple, kwargs: dict) -> tuple:
        return (args[0] * 2,), kwargs

    m.register_forward_pre_hook(pre_kw, with_kwargs=True)
    m.register_forward_hook(lambda mod, args, kwargs, out: out * 0, with_kwargs=True)
    assert (m(ember.ones(1, 2)).detach().numpy() == 0).all()


@requires_torch
def test_full_backward_hooks_match_torch() -> None:
    def run(lib: Any) -> tuple:
        lib.manual_seed(0)
        m = lib.nn.Linear(3, 2)
        with lib.no_grad():
            m.weight.copy_(lib.tensor([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]])) \
                if lib is torch else m.weight._data.__setitem__(
                    Ellipsis, np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]], np.float32))
        record = []

        def hook(mod: Any, grad_in: tuple, grad_out: tuple) -> tuple:
            record.append(("full", [g.tolist() if g is not None else None for g in grad_in],
                           [g.tolist() for g in grad_out]))
            return (grad_in[0] * 2,)

        def pre(mod: Any, grad_out: tuple) -> tuple:
            record.append(("pre", [g.tolist() for g in grad_out]))
            return (grad_out[0] * 3,)

        m.register_full_backward_hook(hook)
        m.register_full_backward_pre_hook(pre)
        x = lib.ones(1, 3, requires_grad=True)
        y = m(x)
        y.sum().backward()
        return record, x.grad.tolist(), m.weight.grad.tolist(), y.grad_fn.name()

    e, t = run(ember), run(torch)
    assert e == t


@requires_torch
def test_backward_hook_inputs_without_grad_match_torch() -> None:
    def run(lib: Any) -> list:
        m = lib.nn.Linear(2, 1)
        record = []
        m.register_full_backward_hook(lambda mod, gi, go: record.append(
            (gi, [g.shape for g in go])))
        m(lib.ones(1, 2)).sum().backward()
        return [(gi, [list(s) for s in shapes]) for gi, shapes in record]

    assert run(ember) == run(torch)


def test_legacy_backward_hook_and_mixing_error() -> None:
    m = nn.Linear(2, 2)
    seen = []
    m.register_backward_hook(lambda mod, gi, go: seen.append(len(gi)))
    m(ember.ones(3, 2, requires_grad=True)).sum().backward()
    assert seen == [3]  # addmm's inputs: bias, input, weight.t()
    with pytest.raises(RuntimeError, match="Cannot use both regular backward hooks and full"):
        m.register_full_backward_hook(lambda *a: None)


def test_copy_and_pickle() -> None:
    net = Net()
    clone = copy.deepcopy(net)
    assert clone.fc1.weight is not net.fc1.weight
    np.testing.assert_array_equal(clone.fc1.weight.detach().numpy(),
                                  net.fc1.weight.detach().numpy())
    restored = pickle.loads(pickle.dumps(net))
    assert isinstance(restored.fc1.weight, nn.Parameter)
    assert list(restored.state_dict()) == list(net.state_dict())


def test_containers() -> None:
    seq = nn.Sequential(OrderedDict([("a", nn.Linear(2, 3)), ("b", nn.ReLU())]))
    assert isinstance(seq.a, nn.Linear) and len(seq) == 2 and isinstance(seq[-1], nn.ReLU)
    assert isinstance(seq[:1], nn.Sequential) and len(seq[:1]) == 1
    seq.append(nn.Tanh())
    seq.insert(0, nn.Identity())
    assert [type(m).__name__ for m in seq] == ["Identity", "Linear", "ReLU", "Tanh"]
    seq.extend([nn.Sigmoid()])
    del seq[0]
    assert list(seq._modules) == ["0", "1", "2", "3"]
    assert seq(ember.ones(1, 2)).shape == (1, 3)
    ml = nn.ModuleList([nn.ReLU()])
    ml.append(nn.Tanh())
    ml += [nn.Sigmoid()]
    ml.insert(1, nn.Identity())
    assert [type(m).__name__ for m in ml] == ["ReLU", "Identity", "Tanh", "Sigmoid"]
    assert len(ml[1:]) == 3 and isinstance(ml[-1], nn.Sigmoid)
    md = nn.ModuleDict({"x": nn.ReLU()})
    md["y"] = nn.Tanh()
    assert list(md.keys()) == ["x", "y"] and "y" in md and len(md) == 2
    assert md.pop("x") is not None and list(md) == ["y"]
    pl = nn.ParameterList([ember.zeros(2)])
    pl.append(nn.Parameter(ember.ones(1)))
    assert isinstance(pl[0], nn.Parameter) and len(pl) == 2
    assert [n for n, _ in pl.named_parameters()] == ["0", "1"]
    pd = nn.ParameterDict({"w": ember.zeros(2)})
    pd["b"] = ember.ones(1)
    assert isinstance(pd["b"], nn.Parameter) and list(pd.keys()) == ["w", "b"]
    assert [n for n, _ in pd.named_parameters()] == ["w", "b"]


def test_parameter_repr_and_identity() -> None:
    data = ember.tensor([1.0, 2.0])
    p = nn.Parameter(data)
    assert repr(p) == "Parameter containing:\ntensor([1., 2.], requires_grad=True)"
    assert repr(nn.Parameter(data, requires_grad=False)) == \
        "Parameter containing:\ntensor([1., 2.])"
    assert np.shares_memory(p.detach().numpy(), data.numpy())
