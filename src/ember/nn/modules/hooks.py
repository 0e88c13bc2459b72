"""Hook handles and the machinery of a module's full backward hooks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..._tensor import Tensor
from ...autograd import grad_mode
from ...autograd.function import Function

__all__ = ["RemovableHandle", "BackwardHook", "HookMixin"]


class RemovableHandle:
    """Returned by ``register_*_hook``: ``remove()`` unregisters the hook; also a context
    manager that removes it on exit."""

    _next_id = 0

    def __init__(self, hooks_dict: dict, *, extra_dict: Any = None) -> None:
        self.hooks_dict_ref = hooks_dict
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1
        if extra_dict is None:
            extra_dict = []
        self.extra_dict_ref = extra_dict if isinstance(extra_dict, list) else [extra_dict]

    def remove(self) -> None:
        self.hooks_dict_ref.pop(self.id, None)
        for extra in self.extra_dict_ref:
            extra.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


class BackwardHookFunction(Function):
    """The identity on a module's tensors; its node is where the module's backward hooks see
    the gradients flowing through (torch names it ``BackwardHookFunctionBackward``)."""

    @staticmethod
    def forward(ctx: Any, *tensors: Tensor) -> tuple:
        ctx.mark_non_differentiable(*[t for t in tensors if not t.requires_grad])
        return tensors

    @staticmethod
    def backward(ctx: Any, *grads: Tensor) -> tuple:
        return grads


def _tensor_positions(values: tuple) -> list[int]:
    return [i for i, v in enumerate(values) if isinstance(v, Tensor)]


class BackwardHook:
    """Wraps one call of a module: its tensor inputs and outputs pass through
    ``BackwardHookFunction`` so that the gradients of the outputs (seen first) and of the
    inputs (seen last) can be handed to the hooks together."""

    def __init__(self, module: Any, user_hooks: dict, user_pre_hooks: dict) -> None:
        self.module = module
        self.user_hooks = user_hooks
        self.user_pre_hooks = user_pre_hooks
        self.grad_outputs: tuple | None = None
        self.n_inputs = 0
        self.input_node: Any = None

    def _wrap(self, values: tuple) -> tuple[tuple, Any]:
        positions = _tensor_positions(values)
        tensors = tuple(values[i] for i in positions)
        if not (grad_mode.state.enabled and any(t.requires_grad for t in tensors)):
            return values, None
        wrapped = BackwardHookFunction.apply(*tensors)
        if not isinstance(wrapped, tuple):
            wrapped = (wrapped,)
        out = list(values)
        for i, t in zip(positions, wrapped):
            out[i] = t
        node = next((t.grad_fn for t in wrapped if t.grad_fn is not None), None)
        return tuple(out), node

    def setup_input_hook(self, args: tuple) -> tuple:
        positions = _tensor_positions(args)
        self.n_inputs = len(positions)
        self.input_requires_grad = [args[i].requires_grad for i in positions]
        wrapped, node = self._wrap(args)
        self.input_node = node
        if node is not None and self.user_hooks:
            node.register_hook(self._on_input_grads)
        return wrapped

    def setup_output_hook(self, output: Any) -> Any:
        single = isinstance(output, Tensor)
        values = (output,) if single else output
        if not isinstance(values, tuple):
            return output  # lists and dicts of outputs are passed through unhooked
        wrapped, node = self._wrap(values)
        if node is not None:
            node.register_prehook(self._on_output_grads)
        return wrapped[0] if single else wrapped

    def _on_output_grads(self, grad_outputs: tuple) -> Any:
        replaced = None
        for hook in list(self.user_pre_hooks.values()):
            result = hook(self.module, grad_outputs)
            if result is not None:
                if not isinstance(result, tuple):
                    result = (result,)
                if len(result) != len(grad_outputs):
                    raise RuntimeError(
                        f"Backward pre hook returned an invalid number of grad_output, got "
                        f"{len(result)}, but expected {len(grad_outputs)}")
                grad_outputs = replaced = result
        self.grad_outputs = grad_outputs
        if self.input_node is None and self.user_hooks:
            # nothing upstream needs a gradient: the hooks see None for every input now
            import warnings

            warnings.warn(
                "Full backward hook is firing when gradients are computed with respect to module "
                "outputs since no inputs require gradients. See https://docs.pytorch.org/docs/"
                "main/generated/torch.nn.Module.html#torch.nn.Module.register_full_backward_hook "
                "for more details.", UserWarning, stacklevel=2)
            for hook in list(self.user_hooks.values()):
                hook(self.module, (None,) * self.n_inputs, grad_outputs)
        return replaced

    def _on_input_grads(self, grad_inputs: tuple, _: tuple) -> Any:
        replaced = None
        # inputs that don't require grad get None, not the zeros the identity passed on
        grad_inputs = tuple(g if needed else None
                            for g, needed in zip(grad_inputs, self.input_requires_grad))
        for hook in list(self.user_hooks.values()):
            result = hook(self.module, grad_inputs, self.grad_outputs)
            if result is not None:
                if not isinstance(result, tuple):
                    result = (result,)
                if len(result) != len(grad_inputs):
                    raise RuntimeError(
                        f"Backward hook returned an invalid number of grad_input, got "
                        f"{len(result)}, but expected {len(grad_inputs)}")
                grad_inputs = replaced = result
        return replaced


class HookMixin:
    """Module's forward and backward hooks, and the call that runs ``forward`` between them.
    (A part of Module, kept here with the hook machinery.)"""

    _forward_pre_hooks: Any
    _forward_pre_hooks_with_kwargs: dict
    _forward_hooks: Any
    _forward_hooks_with_kwargs: dict
    _forward_hooks_always_called: dict
    _backward_pre_hooks: Any
    _backward_hooks: Any
    _is_full_backward_hook: bool | None
    forward: Callable[..., Any]

    # --- hooks -----------------------------------------------------------------------------------
    def register_forward_pre_hook(self, hook: Callable, *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """Registers ``hook(module, args)`` (or ``hook(module, args, kwargs)``) to run before
        ``forward``; it may return replacement args (or ``(args, kwargs)``)."""
        handle = RemovableHandle(self._forward_pre_hooks,
                                 extra_dict=self._forward_pre_hooks_with_kwargs)
        self._forward_pre_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs[handle.id] = True
        if prepend:
            self._forward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_forward_hook(self, hook: Callable, *, prepend: bool = False,
                              with_kwargs: bool = False,
                              always_call: bool = False) -> RemovableHandle:
        """Registers ``hook(module, args, output)`` (or ``hook(module, args, kwargs, output)``)
        to run after ``forward``; it may return a replacement output."""
        handle = RemovableHandle(self._forward_hooks, extra_dict=[
            self._forward_hooks_with_kwargs, self._forward_hooks_always_called])
        self._forward_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_hooks_with_kwargs[handle.id] = True
        if always_call:
            self._forward_hooks_always_called[handle.id] = True
        if prepend:
            self._forward_hooks.move_to_end(handle.id, last=False)
        return handle

    def _check_hook_kind(self, full: bool) -> None:
        if self._is_full_backward_hook is not None and self._is_full_backward_hook != full:
            raise RuntimeError(
                "Cannot use both regular backward hooks and full backward hooks on a single "
                "Module. Please use only one of them.")
        self._is_full_backward_hook = full

    def register_full_backward_hook(self, hook: Callable, prepend: bool = False
                                    ) -> RemovableHandle:
        """Registers ``hook(module, grad_input, grad_output)``, called once the gradients with
        respect to the module's tensor inputs are computed; it may return replacement
        ``grad_input``."""
        self._check_hook_kind(True)
        handle = RemovableHandle(self._backward_hooks)
        self._backward_hooks[handle.id] = hook
        if prepend:
            self._backward_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_full_backward_pre_hook(self, hook: Callable, prepend: bool = False
                                        ) -> RemovableHandle:
        """Registers ``hook(module, grad_output)``, called when the gradients with respect to
        the module's outputs are known; it may return replacement ``grad_output``."""
        handle = RemovableHandle(self._backward_pre_hooks)
        self._backward_pre_hooks[handle.id] = hook
        if prepend:
            self._backward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_backward_hook(self, hook: Callable) -> RemovableHandle:
        """Legacy: ``hook(module, grad_input, grad_output)`` on the node of the output, whose
        ``grad_input`` are the gradients of that last op's inputs. Prefer
        ``register_full_backward_hook``."""
        self._check_hook_kind(False)
        handle = RemovableHandle(self._backward_hooks)
        self._backward_hooks[handle.id] = hook
        return handle

    # --- calling ---------------------------------------------------------------------------------
    def _call_impl(self, *args: Any, **kwargs: Any) -> Any:
        if not (self._forward_pre_hooks or self._forward_hooks or self._backward_hooks
                or self._backward_pre_hooks):
            return self.forward(*args, **kwargs)
        for hook_id, hook in list(self._forward_pre_hooks.items()):
            if hook_id in self._forward_pre_hooks_with_kwargs:
                result = hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError(
                            "forward pre-hook must return None or a tuple of (new_args, "
                            f"new_kwargs), but got {result}.")
                    args, kwargs = result
            else:
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        full_hook = None
        if (self._backward_hooks and self._is_full_backward_hook) or self._backward_pre_hooks:
            full_hook = BackwardHook(self, self._backward_hooks if self._is_full_backward_hook
                                     else {}, self._backward_pre_hooks)
            args = full_hook.setup_input_hook(args)
        output = self.forward(*args, **kwargs)
        for hook_id, hook in list(self._forward_hooks.items()):
            if hook_id in self._forward_hooks_with_kwargs:
                result = hook(self, args, kwargs, output)
            else:
                result = hook(self, args, output)
            if result is not None:
                output = result
        if full_hook is not None:
            output = full_hook.setup_output_hook(output)
        elif self._backward_hooks and self._is_full_backward_hook is False:
            self._attach_legacy_hooks(output)
        return output

    def _attach_legacy_hooks(self, output: Any) -> None:
        tensor = output
        while not isinstance(tensor, Tensor):
            if isinstance(tensor, dict):
                tensor = next(iter(tensor.values()))
            else:
                tensor = tensor[0]
        node = tensor.grad_fn
        if node is None:
            return
        for hook in self._backward_hooks.values():
            def call(grad_inputs: tuple, grad_outputs: tuple, hook: Callable = hook) -> Any:
                return hook(self, grad_inputs, grad_outputs)

            node.register_hook(call)

    __call__ = _call_impl

