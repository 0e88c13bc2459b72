"""The base of every primitive op: runs the forward on ndarrays and, when autograd needs it,
records the op as a node of the graph.

A primitive is one class holding its forward (ndarrays in, ndarray out) and its backward (ember
Tensors in and out, so that ``create_graph=True`` differentiates the backward too). The class
*is* the node type: its instance is both ``ctx`` and ``grad_fn``, and is named as torch names
the node (``MulBackward0``). ``@op`` records that name and the Tensor methods and ``ember.``
functions bound to the op, plus the samples its generated tests use; nothing else.

NOTE [The fast path]
    When grad mode is off or no input requires grad, ``apply`` runs the forward and wraps the
    result, and that is all. This is what inference and every backward formula (run under
    no_grad unless ``create_graph``) pay per op, so it is kept free of any work the recording
    path alone needs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor, _make, shared_counter
from ..autograd import anomaly_mode, forward_ad, grad_mode
from ..autograd.graph import Node, _saved_hooks_stack, accumulator_of, set_edges

_state = grad_mode.state
# True while a forward-AD dual level is open (autograd/forward_ad.py): ops then propagate
# tangents. A module global, so the check costs one lookup per op.
forward_ad_enabled = False

# name -> op class, for the table-driven tests and the README op list
REGISTRY: dict[str, type[Primitive]] = {}


def op(node: str, methods: tuple[str, ...] = (), functions: tuple[str, ...] = (),
       samples: Callable | None = None) -> Callable[[type], type]:
    """Declares a primitive: torch's node name, and the Tensor methods and ``ember.`` functions
    that call it. ``functions`` are collected here and exported by ``ember/__init__``.

    Methods are bound to ``cls.method`` if the class defines one (a function taking the tensor
    first), else to a generic caller of ``cls.apply``.
    """

    def register(cls: type) -> type:
        if node in REGISTRY:  # one primitive per node name: two would be duplicated code
            raise RuntimeError(f"op node {node} is declared twice ({REGISTRY[node].op_name} "
                               f"and {cls.__name__})")
        cls.op_name = cls.__name__  # the Python name, before it takes torch's node name
        cls.__name__ = cls.__qualname__ = node
        cls.samples = samples
        cls.methods, cls.functions = methods, functions
        REGISTRY[node] = cls
        _document_formula(cls)
        call = cls.__dict__.get("call")
        caller = call.__func__ if isinstance(call, staticmethod) else cls.apply
        for name in methods:
            setattr(Tensor, name, caller)
        if caller is cls.apply:  # so ember.exp.__name__ is "exp", not "apply"
            caller.__name__ = caller.__qualname__ = (functions or (cls.op_name.lower(),))[0]
        for name in functions:
            FUNCTIONS[name] = caller
        return cls

    return register


FUNCTIONS: dict[str, Callable] = {}


def _document_formula(cls: type) -> None:
    """Adds the op's ``formula`` (its local derivative per input, declared next to its
    backward) to the class docstring, so ``help(PowBackward0)`` shows it."""
    formula = cls.__dict__.get("formula")
    if not formula:
        return
    rules = "\n".join(f"    {name}: {rule}" for name, rule in formula.items())
    doc = (cls.__dict__.get("__doc__") or "").rstrip()
    cls.__doc__ = (f"{doc}\n\n" if doc else "") + (
        "Derivative (the backward rule, per input):\n" + rules)


class Composite:
    """Holds the samples of public functions built from other ops (their nodes are those
    ops'), so the op table covers them too."""

    methods: tuple = ()
    functions: tuple = ()
    samples: Any = None


def composite(name: str, samples: Callable) -> None:
    """Adds ``samples`` (a factory like an op's) to the table under ``name``."""
    REGISTRY[name] = type(name, (Composite,), {"samples": staticmethod(samples)})

# each op's apply function -> its class (apply functions are closures sharing one code object,
# so tools that map a public function to its op, like the coverage test, look here)
APPLY_OWNERS: dict[Callable, type] = {}


class Primitive(Node):
    """Base class of ops. Subclasses define ``forward`` and ``backward`` as static methods
    taking ``ctx`` first, and say what backward reads:

    * ``save_inputs = True``: ``ctx.saved_tensors`` starts with the op's inputs (Tensors, or the
      Python numbers given);
    * ``save_output = True``: ``ctx.saved_tensors`` ends with the op's output.

    Anything else backward needs (a dim, indices) the forward stores on ``ctx`` itself.

    For forward-mode AD an op declares how tangents propagate, by one of:

    * ``linear = True``: the op is linear in its tensor inputs (reshape, sum, add, neg, cat),
      so the output tangent is the op applied to the input tangents;
    * ``elementwise = True``: the op's Jacobian is diagonal per input (exp, mul, sigmoid), so
      the output tangent is the sum over inputs of ``backward`` applied to each tangent;
    * a ``jvp(ctx, tangents, inputs, output)`` static method returning the output tangent.

    An op with none of these raises a clear error under forward-mode AD.

    Next to ``backward``, ``formula`` states the local derivative for each input (keyed by
    the forward's argument names; ``grad`` is the incoming gradient, ``result`` the output),
    shown by ``help(node)`` and ``node.formula`` and tested against ``backward``.
    """

    formula: ClassVar[dict[str, str]] = {}

    linear: ClassVar[bool] = False
    elementwise: ClassVar[bool] = False

    _saved: tuple | None = ()
    _saved_versions: tuple = ()
    _out_data: np.ndarray | None = None
    _fw_output: Tensor | None = None
    _unpack_hooks: Any = None
    save_inputs: ClassVar[bool] = False
    save_output: ClassVar[bool] = False
    samples: ClassVar[Any] = None

    @staticmethod
    def forward(ctx: Any, *args: Any, **params: Any) -> np.ndarray:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        raise NotImplementedError

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Each op class gets its own plain-function ``apply`` (a closure over the class), so it
        # can be bound directly as a Tensor method: ``Tensor.__mul__ is Mul.apply``.
        cls.apply = staticmethod(cls._build_apply())  # type: ignore[method-assign]
        APPLY_OWNERS[cls.apply] = cls

    @classmethod
    def _build_apply(cls) -> Callable[..., Tensor]:
        forward = cls.forward

        def apply(*inputs: Any, **params: Any) -> Tensor:
            """Runs the op on ``inputs`` (Tensors or Python numbers; None for an absent
            optional input) with keyword ``params``."""
            ctx = _new_node(cls)
            arrays = [x._data if isinstance(x, Tensor) else x for x in inputs]
            out = forward(ctx, *arrays, **params)
            result = None
            if _state.enabled:
                for x in inputs:
                    if isinstance(x, Tensor) and x._requires_grad:
                        result = record(ctx, inputs, out)
                        break
            if result is None:
                result = _make(out)
            if forward_ad_enabled:
                forward_ad.propagate(cls, ctx, inputs, params, result)
            return result

        return apply

    apply: ClassVar[Callable[..., Tensor]]

    # --- what backward reads -------------------------------------------------------------------
    @property
    def saved_tensors(self) -> tuple:
        """What the op saved (inputs, then output), checked against in-place changes since."""
        saved = self._saved
        if saved is None:
            raise self._freed_error()
        for t, version in zip(saved, self._saved_versions):
            if version is not None and version_of(t) != version:
                raise _modified_error(self, t, version)
        if self._unpack_hooks is not None:
            saved = tuple(_unpack(self, t) for t in saved)
        if self.save_output:
            if self._fw_output is not None:  # a forward-AD scratch node (autograd/forward_ad)
                return (*saved, self._fw_output)
            data = self._out_data
            if data is None:
                raise self._freed_error()
            if self._out_vc[0] != self._out_version:
                raise _modified_error(self, _make(data), self._out_version, output=True,
                                      now=self._out_vc[0])
            t = _make(data, self)
            t._vc = self._out_vc
            return (*saved, t)
        return saved

    def release(self, where: str | None) -> None:
        """Frees what the op saved, after a backward without ``retain_graph``."""
        if self.save_inputs:
            self._saved = None
        if self.save_output:
            self._out_data = None
        if self.save_inputs or self.save_output:
            self._freed_at = where


_new_node = object.__new__


def version_of(t: Any) -> int | None:
    if not isinstance(t, Tensor):
        return None
    vc = t._vc
    return 0 if vc is None else vc[0]


def record(ctx: Primitive, inputs: tuple, out: np.ndarray) -> Tensor:
    """Makes ``ctx`` the node of a new output tensor: edges to the inputs, saved tensors."""
    set_edges(ctx, inputs)
    if ctx.save_inputs:
        ctx._saved = inputs
        ctx._saved_versions = tuple([version_of(x) for x in inputs])
        if _saved_hooks_stack:
            _pack_all(ctx)
    result = _make(out, ctx)
    if ctx.save_output:
        save_output(ctx, result)
    if anomaly_mode._enabled:
        ctx._anomaly_trace = anomaly_mode.capture_forward_stack()
        anomaly_mode.check_forward(ctx, inputs, out)
    return result


def record_unary(ctx: Primitive, x: Tensor, out: np.ndarray) -> Tensor:
    """``record`` for one tensor input: the hottest recording path, written out."""
    fn = x.grad_fn
    if fn is None:
        fn = accumulator_of(x)
    elif x._output_nr:
        ctx._next_nr = (x._output_nr,)
    ctx._next = (fn,)
    if ctx.save_inputs:
        ctx._saved = (x,)
        vc = x._vc
        ctx._saved_versions = (0 if vc is None else vc[0],)
        if _saved_hooks_stack:
            _pack_all(ctx)
    result = _make(out, ctx)
    if ctx.save_output:
        save_output(ctx, result)
    if anomaly_mode._enabled:
        ctx._anomaly_trace = anomaly_mode.capture_forward_stack()
        anomaly_mode.check_forward(ctx, (x,), out)
    return result


def _input_node(x: Any) -> Node | None:
    if not isinstance(x, Tensor):
        return None
    fn = x.grad_fn
    if fn is None and x._requires_grad:
        return accumulator_of(x)
    return fn


def record_pair(ctx: Primitive, a: Any, b: Any, out: np.ndarray) -> Tensor:
    """``record`` for two inputs (binary ops), written out for speed."""
    ctx._next = (_input_node(a), _input_node(b))
    nr_a = a._output_nr if isinstance(a, Tensor) else 0
    nr_b = b._output_nr if isinstance(b, Tensor) else 0
    if nr_a or nr_b:
        ctx._next_nr = (nr_a, nr_b)
    if ctx.save_inputs:
        ctx._saved = (a, b)
        ctx._saved_versions = (version_of(a), version_of(b))
        if _saved_hooks_stack:
            _pack_all(ctx)
    result = _make(out, ctx)
    if ctx.save_output:
        save_output(ctx, result)
    if anomaly_mode._enabled:
        ctx._anomaly_trace = anomaly_mode.capture_forward_stack()
        anomaly_mode.check_forward(ctx, (a, b), out)
    return result


def save_output(ctx: Primitive, result: Tensor) -> None:
    """Saves ``result`` (the op's output) for backward without referencing the tensor itself,
    which would make a cycle through ``result.grad_fn``: its data and version counter."""
    ctx._out_data = result._data
    ctx._out_vc = shared_counter(result)
    ctx._out_version = ctx._out_vc[0]


def _pack_all(ctx: Primitive) -> None:
    pack, unpack = _saved_hooks_stack[-1]
    ctx._unpack_hooks = unpack
    ctx._saved = tuple(pack(x) if isinstance(x, Tensor) else x for x in ctx._saved)
    ctx._saved_versions = (None,) * len(ctx._saved)


def _unpack(ctx: Primitive, packed: Any) -> Any:
    return ctx._unpack_hooks(packed)


def _modified_error(node: Node, t: Tensor, version: int, output: bool = False,
                    now: int | None = None) -> RuntimeError:
    """torch's error for a saved tensor changed in place since it was saved, naming the op
    that produced the saved value (as torch 2.13 words it: 'output 0 of Exp')."""
    import re

    from .._tensor import _legacy_type_name

    shape = list(t._data.shape)
    kind = _legacy_type_name(t.dtype)
    current = now if now is not None else version_of(t)
    producer = node if output else t.grad_fn
    if not output:
        # each in-place op since the save put a node in front of the saved value's producer
        for _ in range(max(0, (current or 0) - version)):
            if producer is None or not producer._next:
                break
            producer = producer._next[0]
    name = re.sub(r"Backward\d*$", "", producer.name()) if producer is not None else ""
    which = f", which is output {t._output_nr} of {name}," if producer is not None else ""
    text = (
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: [{kind} {shape}]{which} is at version {current}; expected version "
        f"{version} instead. Hint: enable anomaly detection to find the operation that failed "
        "to compute its gradient, with ember.autograd.set_detect_anomaly(True, "
        "check_nan=False).")
    if anomaly_mode._enabled:  # where it was saved, and each in-place change since
        from ..autograd.anomaly_explain import explain_modified

        extra = explain_modified(node, node._out_vc if output else t._vc, version)
        text += "\n" + extra if extra else ""
    return RuntimeError(text)


# ---------------------------------------------------------------------------------------------
# Binary elementwise ops: shared promotion, broadcasting and dtype bookkeeping.

_scalar_results = dt.scalar_results


def scalar_result(array_dtype: np.dtype, scalar: Any) -> np.dtype:
    key = (array_dtype, scalar.__class__)
    result = _scalar_results.get(key)
    if result is None:
        if isinstance(scalar, (np.generic, np.ndarray)):
            raise TypeError("internal: NumPy scalars must be converted before an op")
        result = dt.binary_result_np(array_dtype, False, scalar.__class__, False)
        _scalar_results[key] = result
    return result


class BinaryOp(Primitive):
    """An elementwise op of two operands, either of which may be a Python number.

    ``apply`` promotes both to torch's result dtype before NumPy sees them, and records each
    input's shape and dtype when they differ from the output's, so the engine can sum a
    broadcast gradient back and cast it to the input's dtype.
    """

    float_result: ClassVar[bool] = False  # int inputs give the default float dtype (div)

    @classmethod
    def _build_apply(cls) -> Callable[..., Tensor]:
        forward = cls.forward
        float_result = cls.float_result

        def apply(a: Any, b: Any) -> Tensor:
            ctx = _new_node(cls)
            a_is_tensor = isinstance(a, Tensor)
            b_is_tensor = isinstance(b, Tensor)
            meta = False
            if a_is_tensor and b_is_tensor:
                ad, bd = a._data, b._data
                if ad.dtype != bd.dtype or float_result:
                    ad, bd = _promote_pair(float_result, ad, bd)
                    meta = True
                elif ad.shape != bd.shape:
                    meta = True
            elif a.__class__ is np.ndarray or b.__class__ is np.ndarray:
                # torch treats an ndarray operand as a tensor (ndarray * Tensor lands here)
                return apply(_make(np.asarray(a)) if not a_is_tensor else a,
                             _make(np.asarray(b)) if not b_is_tensor else b)
            elif a_is_tensor:
                ad, bd = a._data, _as_number(b)
                result = _scalar_dtype(ad.dtype, bd, float_result)
                if result != ad.dtype:
                    ad = ad.astype(result)
                    meta = True
            else:
                ad, bd = _as_number(a), b._data
                result = _scalar_dtype(bd.dtype, ad, float_result)
                if result != bd.dtype:
                    bd = bd.astype(result)
                    meta = True
            try:
                out = forward(ctx, ad, bd)
            except ValueError as err:
                raise broadcast_error(ad, bd, err) from None
            if _state.enabled and ((a_is_tensor and a._requires_grad)
                                   or (b_is_tensor and b._requires_grad)):
                result = record_pair(ctx, a, b, out)
                if meta:
                    ctx.input_meta = (_meta(a), _meta(b))
            else:
                result = _make(out)
            if forward_ad_enabled:
                forward_ad.propagate(cls, ctx, (a, b), {}, result)
            return result

        return apply


def _scalar_dtype(array_dtype: np.dtype, scalar: Any, float_result: bool) -> np.dtype:
    result = scalar_result(array_dtype, scalar)
    if float_result and result.kind not in "fcV":
        result = dt.get_default_dtype().np
    return result


def broadcast_error(a: Any, b: Any, err: Exception) -> Exception:
    """torch's message for operands whose shapes don't broadcast."""
    sa, sb = np.shape(a), np.shape(b)
    n = max(len(sa), len(sb))
    pa, pb = (1,) * (n - len(sa)) + sa, (1,) * (n - len(sb)) + sb
    for dim in range(n - 1, -1, -1):
        if pa[dim] != pb[dim] and pa[dim] != 1 and pb[dim] != 1:
            return RuntimeError(
                f"The size of tensor a ({pa[dim]}) must match the size of tensor b ({pb[dim]}) "
                f"at non-singleton dimension {dim}")
    return err


def _meta(x: Any) -> tuple | None:
    return (x._data.shape, x._data.dtype) if isinstance(x, Tensor) else None


def _as_number(x: Any) -> Any:
    if isinstance(x, (int, float, complex)):
        return x
    if isinstance(x, np.generic):
        return x.item()
    raise TypeError(f"unsupported operand type: '{type(x).__name__}'")


def _promote_pair(float_result: bool, ad: np.ndarray,
                  bd: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    result = dt.binary_result_np(ad.dtype, ad.ndim == 0, bd.dtype, bd.ndim == 0)
    if float_result and result.kind not in "fcV":
        result = dt.get_default_dtype().np
    if ad.dtype != result:
        ad = ad.astype(result)
    if bd.dtype != result:
        bd = bd.astype(result)
    return ad, bd


class UnaryOp(Primitive):
    """An op of one tensor input (plus keyword params): the shortest recording path."""


    @classmethod
    def _build_apply(cls) -> Callable[..., Tensor]:
        forward = cls.forward

        def apply(x: Tensor, **params: Any) -> Tensor:
            ctx = _new_node(cls)
            out = forward(ctx, x._data, **params)
            if x._requires_grad and _state.enabled:
                result = record_unary(ctx, x, out)
            else:
                result = _make(out)
            if forward_ad_enabled:
                forward_ad.propagate(cls, ctx, (x,), params, result)
            return result

        return apply
