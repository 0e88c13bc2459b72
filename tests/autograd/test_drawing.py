"""graph.draw and make_dot: the text and DOT forms, names, shapes, folding, rendering."""

from __future__ import annotations

import shutil
import sys

import numpy as np
import pytest

import ember
from ember.autograd.graph_walk import Repeat, engine_order

draw = ember.autograd.graph.draw


def _seed() -> tuple[ember.Tensor, ember.Tensor, ember.Tensor]:
    x = ember.tensor(np.arange(16, dtype=np.float32).reshape(4, 4), requires_grad=True)
    y = x + 32
    z = y ** 2 / 3
    return x, y, z


def test_text_form_of_the_seed_example() -> None:
    x, y, z = _seed()
    text = str(draw(z))
    assert text.splitlines() == [
        "backward graph: 3 op nodes, 1 leaf; [n] is the order backward runs them",
        "[1] z = DivBackward0 -> (4, 4) float32",
        "│   saved a=(4, 4) float32, b=3",
        "└── [2] PowBackward0 -> (4, 4) float32",
        "    │   exponent=2; saved x=y (4, 4) float32",
        "    └── [3] y = AddBackward0 -> (4, 4) float32",
        "        └── [4] x: leaf (4, 4) float32",
    ]


def test_structure_names_shapes_and_saved() -> None:
    x, y, z = _seed()
    d = draw(z)
    assert [g.name for g in d.nodes] == ["DivBackward0", "PowBackward0", "AddBackward0", "x"]
    div, pow_, add, leaf = d.nodes
    assert leaf.is_leaf and leaf.variable is x
    assert pow_.params == [("exponent", "2")]
    assert div.inputs[0][0] is pow_ and div.inputs[1] is None  # 3 is a number: no edge
    assert all(g.outputs[0] == ((4, 4), "float32") for g in d.nodes)
    assert add.tensor_name == "y" and div.tensor_name == "z" and pow_.tensor_name is None


def test_numbering_is_the_order_the_engine_runs() -> None:
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    a, b = w.exp(), w * w
    loss = (a.sin() + b + a).sum()
    d = draw(loss)
    ran = []
    for g in d.nodes:
        if not g.is_leaf:
            g.node.register_prehook(lambda grads, g=g: ran.append(g.index))
    loss.backward()
    assert ran == [g.index for g in d.nodes if not g.is_leaf]
    assert [g.index for g in d.nodes] == list(range(1, len(d.nodes) + 1))
    assert engine_order([loss.grad_fn]) == [g.node for g in d.nodes]


def test_shared_node_is_drawn_once() -> None:
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    a = w.exp()
    loss = (a * a.sin()).sum()
    text = str(draw(loss))
    assert text.count("ExpBackward0") == 2
    assert "ExpBackward0 -> (2,) float32 (shown above)" in text


def test_module_names_the_leaves_and_gradient_norms_after_backward() -> None:
    ember.manual_seed(0)
    model = ember.nn.Sequential(ember.nn.Linear(3, 4), ember.nn.ReLU(), ember.nn.Linear(4, 2))
    loss = model(ember.randn(5, 3)).pow(2).mean()
    before = draw(loss, model)
    assert {g.name for g in before.nodes if g.is_leaf} == {"0.weight", "0.bias", "2.weight",
                                                           "2.bias"}
    assert "grad norm" not in before.text
    loss.backward()
    after = draw(loss, model)
    norm = float(np.linalg.norm(model[0].weight.grad.numpy()))
    assert f"0.weight: leaf (4, 3) float32, grad norm {norm:.4g}" in after.text
    assert "saved tensors freed by the backward call at" in after.text
    assert "test_drawing.py" in after.text


def test_params_dict_as_torchviz_takes_it() -> None:
    w = ember.ones(3, requires_grad=True)
    d = draw((w * 2).sum(), {"weight": w})
    assert d.nodes[-1].name == "weight"


def test_shapes_on_every_edge_of_the_main_models() -> None:
    from ember.train import build_model

    for kind in ("mlp", "cnn"):
        model = build_model(kind)
        loss = ember.nn.CrossEntropyLoss()(model(ember.randn(4, 1, 8, 8)),
                                           ember.tensor([0, 1, 2, 3]))
        d = draw(loss, model)
        assert all(g.outputs[0] is not None for g in d.nodes), kind
        assert "?" not in d.source
        assert "[1] loss = NllLossBackward0 -> () float32" in d.text


def test_multi_output_and_views() -> None:
    x = ember.arange(6.0).requires_grad_()
    a, b = x.split(3)
    loss = (a * 2 + b.view(3, 1).squeeze(1)).sum()
    d = draw(loss)
    split = next(g for g in d.nodes if g.name == "SplitBackward0")
    assert split.outputs == {0: ((3,), "float32"), 1: ((3,), "float32")}
    assert "SplitBackward0 (output 1) -> (3,) float32" in d.text


def test_dot_source_needs_nothing_installed() -> None:
    x, y, z = _seed()
    src = draw(z).source
    assert src.startswith("digraph {")
    assert 'n4 -> n3 [label=" (4, 4) float32"]' in src
    assert 'n4 [label="x\\l(4, 4) float32\\l" fillcolor=lightblue]' in src
    assert 'out0 [label="z\\l(4, 4) float32\\l" fillcolor=darkolivegreen1]' in src
    assert "n1 -> out0" in src


def test_long_chain_folds_its_repeated_block() -> None:
    x = ember.randn(16, requires_grad=True)
    w = ember.randn(16)
    y = x
    for _ in range(250):
        y = ember.tanh(y * 1.0001 + w) - 0.5
    d = draw(y.sum())
    assert d.repeats == [Repeat(start=1, period=4, count=249)]
    assert "(nodes [2]..[5] form a block repeated 249 times in a row" in d.text
    assert "┄ [6]..[997]: the block [2]..[5] 248 more times (992 nodes folded)" in d.text
    assert len(d.text.splitlines()) < 25
    assert "subgraph cluster_0" in d.source and "block repeated 249 times" in d.source
    # op nodes drawn: the sum, the block once, and the last repetition (it differs: its
    # MulBackward0 takes the leaf x)
    assert d.source.count("[label=\"[") == 1 + 4 + 4
    assert "next repetition" in d.source
    unfolded = draw(y.sum(), collapse=False)
    assert unfolded.repeats == [] and len(unfolded.text.splitlines()) > 1000


def test_deep_mlp_folds_layers_and_their_parameters() -> None:
    layers = []
    for _ in range(40):
        layers += [ember.nn.Linear(4, 4), ember.nn.Tanh()]
    model = ember.nn.Sequential(*layers)
    d = draw(model(ember.randn(2, 4)).sum(), model)
    assert len(d.repeats) == 1 and d.repeats[0].count >= 38
    assert "leaves folded" in d.text
    assert d.source.count("fillcolor=lightblue") < 10


def test_small_graphs_are_not_folded() -> None:
    w = ember.ones(2, requires_grad=True)
    y = w
    for _ in range(5):
        y = y * 2
    assert draw(y.sum()).repeats == []


def test_no_graph_raises_torchs_message() -> None:
    with pytest.raises(RuntimeError, match="^element 0 of tensors does not require grad"):
        draw(ember.ones(2) * 2)


def test_custom_function_nodes() -> None:
    class Square(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 2 * x * grad

    x = ember.ones(3, requires_grad=True)
    d = draw(Square.apply(x).sum())
    assert [g.name for g in d.nodes] == ["SumBackward0", "SquareBackward", "x"]


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_render_svg_and_png(tmp_path) -> None:
    pytest.importorskip("graphviz")
    x, y, z = _seed()
    d = draw(z)
    assert "<svg" in d.svg() and "PowBackward0" in d.svg()
    path = d.render(str(tmp_path / "graph.png"))
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    bundle = d._repr_mimebundle_()
    assert bundle["text/plain"] == d.text and "<svg" in bundle["image/svg+xml"]


def test_make_dot_takes_torchviz_arguments() -> None:
    pytest.importorskip("graphviz")
    model = ember.nn.Linear(5, 10)
    out = model(ember.ones(2, 5)).sum()
    dot = ember.autograd.graph.make_dot(out, params=dict(model.named_parameters()),
                                        show_attrs=True, show_saved=True, max_attr_chars=8)
    assert 'label="weight\\l(10, 5)\\l"' in dot.source
    assert "AddmmBackward0" in dot.source and "beta=1" in dot.source
    plain = ember.autograd.graph.make_dot(out)
    assert "beta=1" not in plain.source and "saved" not in plain.source


def test_without_graphviz_a_clear_message(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "graphviz", None)  # import graphviz now fails
    x, y, z = _seed()
    d = draw(z)
    with pytest.raises(ImportError, match="pip install graphviz.*apt-get install graphviz"):
        d.svg()
    with pytest.raises(ImportError, match="print\\(drawing\\)"):
        ember.autograd.graph.make_dot(z)
    bundle = d._repr_mimebundle_()
    assert "image/svg+xml" not in bundle and bundle["text/html"].startswith("<pre>")


def test_inplace_through_a_view_draws_copyslices_with_shapes() -> None:
    a = ember.ones(3, requires_grad=True)
    y = a * 2
    y[1:].mul_(3)
    d = draw(y.sum())
    assert [g.name for g in d.nodes] == ["SumBackward0", "torch::autograd::CopySlices",
                                         "MulBackward0", "a"]
    assert all(g.outputs[0] == ((3,), "float32") for g in d.nodes[1:])
