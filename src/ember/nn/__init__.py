"""ember.nn: neural network building blocks (modules, parameters, functional forms)."""

from . import functional
from .parameter import Parameter

__all__ = ["functional", "Parameter"]
