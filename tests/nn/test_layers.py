"""Layers and activations against torch: outputs, gradients, grad_fn names, reprs, state
dict keys; plus a torch-free core."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import ember
from tests.conftest import assert_close, requires_torch, torch
from tests.nn.helpers import compare_module, copy_state

rng = np.random.default_rng(0)


def _x(*shape: int) -> np.ndarray:
    return rng.standard_normal(shape).astype(np.float32)


# (constructor source evaluated with nn = ember.nn or torch.nn, input arrays)
LAYERS: list[tuple[str, tuple]] = [
    ("nn.Linear(4, 3)", (_x(5, 4),)),
    ("nn.Linear(4, 3)", (_x(2, 5, 4),)),
    ("nn.Linear(4, 3)", (_x(4),)),
    ("nn.Linear(4, 3, bias=False)", (_x(5, 4),)),
    ("nn.Linear(4, 3, bias=False)", (_x(2, 5, 4),)),
    ("nn.Bilinear(3, 4, 2)", (_x(5, 3), _x(5, 4))),
    ("nn.Bilinear(3, 4, 2, bias=False)", (_x(2, 5, 3), _x(2, 5, 4))),
    ("nn.Identity()", (_x(3, 2),)),
    ("nn.Flatten()", (_x(2, 3, 4),)),
    ("nn.Flatten(0, 1)", (_x(2, 3, 4),)),
    ("nn.Unflatten(1, (2, 2))", (_x(3, 4),)),
    ("nn.LayerNorm(4)", (_x(3, 4),)),
    ("nn.LayerNorm([3, 4], elementwise_affine=False)", (_x(2, 3, 4),)),
    ("nn.LayerNorm(4, bias=False)", (_x(2, 3, 4),)),
    ("nn.GroupNorm(2, 4)", (_x(3, 4, 5),)),
    ("nn.GroupNorm(1, 4, affine=False)", (_x(3, 4, 2, 2),)),
    ("nn.BatchNorm1d(4)", (_x(6, 4),)),
    ("nn.BatchNorm1d(4, affine=False)", (_x(6, 4, 3),)),
    ("nn.BatchNorm2d(3)", (_x(2, 3, 4, 4),)),
    ("nn.BatchNorm2d(3, bias=False)", (_x(2, 3, 2, 2),)),
    ("nn.BatchNorm1d(4, track_running_stats=False)", (_x(6, 4),)),
    ("nn.ReLU()", (_x(3, 4),)),
    ("nn.ReLU6()", (_x(3, 4) * 5,)),
    ("nn.LeakyReLU(0.2)", (_x(3, 4),)),
    ("nn.ELU(alpha=0.5)", (_x(3, 4),)),
    ("nn.SELU()", (_x(3, 4),)),
    ("nn.GELU()", (_x(3, 4),)),
    ("nn.GELU(approximate='tanh')", (_x(3, 4),)),
    ("nn.SiLU()", (_x(3, 4),)),
    ("nn.Mish()", (_x(3, 4),)),
    ("nn.Softplus(beta=2, threshold=1.5)", (_x(3, 4),)),
    ("nn.Tanh()", (_x(3, 4),)),
    ("nn.Sigmoid()", (_x(3, 4),)),
    ("nn.LogSigmoid()", (_x(3, 4),)),
    ("nn.Hardtanh(-0.5, 0.5)", (_x(3, 4),)),
    ("nn.Softmax(dim=1)", (_x(3, 4),)),
    ("nn.LogSoftmax(dim=-1)", (_x(3, 4),)),
    ("nn.Softmin(dim=0)", (_x(3, 4),)),
    ("nn.PReLU()", (_x(3, 4),)),
    ("nn.PReLU(4, init=0.1)", (_x(3, 4, 2),)),
    ("nn.Embedding(6, 3)", (np.array([[0, 1, 5], [5, 5, 2]]),)),
    ("nn.Embedding(6, 3, padding_idx=5)", (np.array([[0, 1, 5], [5, 5, 2]]),)),
    ("nn.Embedding(6, 3, scale_grad_by_freq=True)", (np.array([0, 1, 1, 1]),)),
    ("nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))", (_x(5, 4),)),
    ("nn.Dropout(0.3).eval()", (_x(3, 4),)),
    ("nn.BatchNorm1d(4).eval()", (_x(6, 4),)),
]


@requires_torch
@pytest.mark.parametrize(("source", "inputs"), LAYERS, ids=[s for s, _ in LAYERS])
def test_layer_matches_torch(source: str, inputs: tuple) -> None:
    e_module = eval(source, {"nn": ember.nn})
    t_module = eval(source, {"nn": torch.nn})
    assert repr(e_module) == repr(t_module)
    assert list(e_module.state_dict()) == list(t_module.state_dict())
    assert [n for n, _ in e_module.named_parameters()] == \
        [n for n, _ in t_module.named_parameters()]
    if t_module.state_dict():
        # random stats so eval-mode batch norm is not the identity
        for name, buf in t_module.named_buffers():
            if "running" in name:
                buf.copy_(torch.rand(buf.shape) + 0.5)
        copy_state(e_module, t_module)
    compare_module(e_module, t_module, *inputs)
    for (name, eb), (_, tb) in zip(e_module.named_buffers(), t_module.named_buffers()):
        assert_close(eb, tb, 1e-5, 1e-6), name


@requires_torch
def test_batchnorm_running_stats_follow_torch() -> None:
    for momentum in (0.1, None):
        e = ember.nn.BatchNorm1d(3, momentum=momentum)
        t = torch.nn.BatchNorm1d(3, momentum=momentum)
        for step in range(3):
            x = _x(5, 3) * (step + 1)
            e(ember.tensor(x))
            t(torch.tensor(x))
        assert_close(e.running_mean, t.running_mean, 1e-5, 1e-6)
        assert_close(e.running_var, t.running_var, 1e-5, 1e-6)
        assert e.num_batches_tracked.item() == t.num_batches_tracked.item() == 3
        assert e.num_batches_tracked.dtype == ember.int64
        e.eval()
        t.eval()
        x = _x(4, 3)
        assert_close(e(ember.tensor(x)), t(torch.tensor(x)), 1e-4, 1e-5)


@requires_torch
def test_batchnorm_errors() -> None:
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        ember.nn.BatchNorm1d(3)(ember.randn(2, 3, 4, 5))
    with pytest.raises(ValueError, match="expected 4D input"):
        ember.nn.BatchNorm2d(3)(ember.randn(2, 3, 4))
    with pytest.raises(ValueError, match=r"Expected more than 1 value per channel when "
                       r"training, got input size ember.Size\(\[1, 5\]\)"):
        ember.nn.BatchNorm1d(5)(ember.randn(1, 5))


@requires_torch
@pytest.mark.parametrize("source", [
    "nn.ReLU(inplace=True)", "nn.LeakyReLU(inplace=True)", "nn.ELU(inplace=True)",
    "nn.Hardtanh(inplace=True)", "nn.ReLU6(inplace=True)", "nn.SiLU(inplace=True)",
    "nn.Dropout(inplace=True)", "nn.Dropout2d(0.1)", "nn.Dropout1d()", "nn.Dropout3d()",
    "nn.Embedding(10, 3, padding_idx=0, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True)",
    "nn.BatchNorm1d(3, momentum=None)", "nn.BatchNorm3d(3, affine=False)",
    "nn.GroupNorm(2, 4, bias=False)", "nn.GELU()", "nn.Softmax()",
    "nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.ReLU(), nn.ReLU(), nn.Tanh()])",
    "nn.ModuleList()", "nn.ModuleDict({'b': nn.ReLU(), 'a': nn.Sequential(nn.Tanh())})",
    "nn.Sequential(nn.Sequential(nn.Linear(2, 3), nn.ReLU()), nn.Dropout())",
    "nn.CrossEntropyLoss()", "nn.KLDivLoss()", "nn.BCEWithLogitsLoss()",
])
def test_repr_matches_torch(source: str) -> None:
    e = eval(source, {"nn": ember.nn})
    t = eval(source, {"nn": torch.nn})
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())


@requires_torch
def test_parameter_containers_repr() -> None:
    def build(lib: Any) -> tuple:
        plist = lib.nn.ParameterList([lib.nn.Parameter(lib.zeros(3)),
                                      lib.nn.Parameter(lib.zeros(2, 2).double())])
        pdict = lib.nn.ParameterDict({"b": lib.nn.Parameter(lib.zeros(3)),
                                      "a": lib.zeros(2)})
        return plist, pdict

    for e, t in zip(build(ember), build(torch)):
        assert repr(e).replace("ember.", "torch.") == repr(t)
        assert list(e.state_dict()) == list(t.state_dict())


def test_dropout_train_and_eval() -> None:
    ember.manual_seed(0)
    m = ember.nn.Dropout(0.25)
    x = ember.ones(200, 50, requires_grad=True)
    y = m(x)
    assert y.grad_fn.name() == "MulBackward0"
    kept = y.detach().numpy() != 0
    assert 0.7 < kept.mean() < 0.8
    np.testing.assert_allclose(y.detach().numpy()[kept], 1 / 0.75, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), kept / 0.75, rtol=1e-6)
    m.eval()
    assert m(x) is x
    assert ember.nn.functional.dropout(x, 0.0) is x
    assert (ember.nn.functional.dropout(x, 1.0).detach().numpy() == 0).all()
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but "
                       "got 1.5"):
        ember.nn.Dropout(1.5)


def test_dropout2d_zeroes_whole_channels() -> None:
    ember.manual_seed(1)
    y = ember.nn.Dropout2d(0.5)(ember.ones(8, 6, 3, 3)).numpy()
    per_channel = y.reshape(8, 6, -1)
    assert ((per_channel == 0).all(-1) | (per_channel == 2).all(-1)).all()


def test_embedding_padding_and_pretrained() -> None:
    emb = ember.nn.Embedding(5, 2, padding_idx=1)
    assert (emb.weight.detach().numpy()[1] == 0).all()
    out = emb(ember.tensor([1, 1, 3]))
    out.sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.numpy()[:, 0], [0, 0, 0, 1, 0])
    table = ember.arange(6.0).reshape(3, 2)
    frozen = ember.nn.Embedding.from_pretrained(table)
    assert not frozen.weight.requires_grad
    assert frozen(ember.tensor([2])).tolist() == [[4.0, 5.0]]
    with pytest.raises(IndexError, match="index out of range in self"):
        emb(ember.tensor([7]))


def test_embedding_max_norm_renormalises_rows() -> None:
    emb = ember.nn.Embedding(3, 2, max_norm=1.0)
    emb.weight._data[...] = np.array([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0]])
    emb(ember.tensor([0, 1]))
    norms = np.linalg.norm(emb.weight.detach().numpy(), axis=1)
    np.testing.assert_allclose(norms, [1.0, 0.5, 10.0], rtol=1e-5)


def test_linear_graph_is_one_fused_node() -> None:
    m = ember.nn.Linear(4, 3)
    y = m(ember.randn(2, 4))
    assert y.grad_fn.name() == "AddmmBackward0"
    z = m(ember.randn(2, 5, 4))
    assert z.grad_fn.name() == "ViewBackward0"
    assert z.grad_fn.next_functions[0][0].name() == "AddmmBackward0"
    assert z.shape == (2, 5, 3)


def test_linear_init_distribution() -> None:
    ember.manual_seed(0)
    m = ember.nn.Linear(400, 300)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    bound = 1 / np.sqrt(400)
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert np.abs(w).max() > 0.99 * bound
    np.testing.assert_allclose(w.var(), bound ** 2 / 3, rtol=0.02)
    assert abs(w.mean()) < 1e-3
    assert m.weight.dtype == ember.float32
    assert ember.nn.Linear(2, 2, dtype=ember.float64).weight.dtype == ember.float64


@pytest.mark.parametrize("name", ["layer_norm", "group_norm", "batch_norm", "prelu", "bilinear",
                                  "linear"])
def test_functional_gradcheck_float64(name: str) -> None:
    F = ember.nn.functional
    x = ember.randn(4, 4, 3, dtype=ember.float64, requires_grad=True)
    w = ember.randn(4, dtype=ember.float64, requires_grad=True)
    b = ember.randn(4, dtype=ember.float64, requires_grad=True)
    fns = {
        "layer_norm": lambda x, w, b: F.layer_norm(x.transpose(1, 2), (4,), w, b),
        "group_norm": lambda x, w, b: F.group_norm(x, 2, w, b),
        "batch_norm": lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
        "prelu": lambda x, w, b: F.prelu(x, w) + b.sum(),
        "bilinear": lambda x, w, b: F.bilinear(x[:, :, 0], x[:, :, 1], _bw(w), b[:3]),
        "linear": lambda x, w, b: F.linear(x.transpose(1, 2), w.reshape(1, 4), b[:1]),
    }
    assert ember.autograd.gradcheck(fns[name], (x, w, b))
    assert ember.autograd.gradgradcheck(fns[name], (x, w, b))


def _bw(w: Any) -> Any:
    # a (3, 4, 4) bilinear weight built from the 4 weights, so gradcheck reaches them
    return (w.reshape(1, 4, 1) * w.reshape(1, 1, 4)).expand(3, 4, 4) * ember.tensor(
        np.arange(1.0, 4.0).reshape(3, 1, 1))


def test_activation_inplace_flags() -> None:
    x = ember.tensor([-1.0, 2.0])
    y = ember.nn.LeakyReLU(0.5, inplace=True)(x)
    assert y is x and x.tolist() == [-0.5, 2.0]
    x = ember.tensor([-1.0, 2.0])
    assert ember.nn.ReLU(inplace=True)(x) is x and x.tolist() == [0.0, 2.0]
    with pytest.raises(ValueError, match="min_val cannot be greater than max_val"):
        ember.nn.functional.hardtanh(x, 1.0, 0.0)
