"""The warning for a loop that keeps every step's graph alive (autograd/history_watch.py)."""

from __future__ import annotations

import inspect
import warnings
from collections import deque

import pytest

import ember
from ember.autograd import history_watch


@pytest.fixture(autouse=True)
def _fresh_watch() -> None:
    history_watch.reset()
    yield
    history_watch.reset()


def _step(model: ember.nn.Module, opt: ember.optim.Optimizer) -> ember.Tensor:
    loss = model(ember.randn(4, 3)).pow(2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss


def _setup() -> tuple[ember.nn.Module, ember.optim.Optimizer]:
    ember.manual_seed(0)
    model = ember.nn.Linear(3, 1)
    return model, ember.optim.SGD(model.parameters(), lr=0.01)


def _line_of(fn: object, text: str) -> int:
    lines, first = inspect.getsourcelines(fn)
    return first + next(i for i, line in enumerate(lines) if text in line)


def test_total_plus_equals_loss_warns_once_naming_the_line() -> None:
    model, opt = _setup()
    total = 0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(80):
            loss = _step(model, opt)
            total += loss
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1
    line = _line_of(test_total_plus_equals_loss_warns_once_naming_the_line, "total += loss")
    assert messages[0].startswith("ember: `total` keeps the history of every training step "
                                  "alive: ")
    assert f"test_history_watch.py:{line} (`total += loss`) adds to it each step" in messages[0]
    assert "`total += loss.item()`" in messages[0] and "loss.detach()" in messages[0]
    assert caught[0].filename == __file__  # points at the user's code


def test_total_equals_total_plus_loss_in_a_function() -> None:
    model, opt = _setup()

    def train() -> ember.Tensor:
        running = ember.zeros(())
        for _ in range(40):
            running = running + _step(model, opt)
        return running

    with pytest.warns(UserWarning, match=r"`running` keeps the history") as caught:
        train()
    line = _line_of(train, "running = running + _step")
    assert f":{line} (`running = running + _step(model, opt)`)" in str(caught[0].message)


def test_list_of_losses_warns() -> None:
    model, opt = _setup()
    losses = []
    with pytest.warns(UserWarning, match=r"the list `losses` keeps the history") as caught:
        for _ in range(40):
            losses.append(_step(model, opt))
    assert "`losses.append(loss.item())`" in str(caught[0].message)


def _silent(loop: object) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loop()  # type: ignore[operator]


def test_ordinary_loops_never_warn_nor_look() -> None:
    model, opt = _setup()

    def with_item() -> None:
        total = 0.0
        for _ in range(60):
            total += _step(model, opt).item()

    def with_detach() -> None:
        average = ember.zeros(())
        for _ in range(60):
            average = 0.9 * average + 0.1 * _step(model, opt).detach()

    def keeping_the_last_few() -> None:
        recent: deque = deque(maxlen=5)
        previous = None
        for _ in range(60):
            loss = _step(model, opt)
            recent.append(loss)
            previous = loss  # noqa: F841
            if len(recent) == 5:
                recent[0].item()

    def backward_twice_through_one_graph() -> None:
        x = ember.tensor(5.0, requires_grad=True)
        y = x ** 3
        for _ in range(60):
            y.backward(retain_graph=True)

    for loop in (with_item, with_detach, keeping_the_last_few,
                 backward_twice_through_one_graph):
        _silent(loop)
        assert history_watch._state["looks"] == 0, loop.__name__


def test_graphs_built_on_purpose_are_not_flagged() -> None:
    # a meta-learning style loop: each step differentiates through the last one on purpose
    w = ember.tensor([1.0, 2.0], requires_grad=True)

    def inner_steps() -> None:
        p = w
        for _ in range(40):
            (g,) = ember.autograd.grad((p * p).sum(), p, create_graph=True)
            p = p - 0.1 * g
        p.sum().backward()

    _silent(inner_steps)


def test_main_job_and_tour_do_not_warn(tmp_path) -> None:
    import io

    from ember.__main__ import main
    from ember.tour import run

    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        assert main(["--epochs", "3", "--out", str(tmp_path), "--no-progress"]) == 0
        run(io.StringIO())
    assert history_watch._calls > history_watch._WINDOW  # it watched, and stayed silent
    assert history_watch._state["looks"] == 0
