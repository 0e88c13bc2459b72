"""ember.nn: neural network building blocks (modules, parameters, functional forms)."""

from . import functional, init, parallel, utils
from .modules import *  # noqa: F403 - the layers, listed in modules.__all__
from .modules import __all__ as _modules_all
from .parallel import DataParallel
from .parameter import Parameter

__all__ = ["functional", "init", "parallel", "utils", "DataParallel", "Parameter", *_modules_all]
