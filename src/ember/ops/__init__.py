"""Every primitive op, grouped by family. Importing this package binds the ops' methods onto
Tensor; each module's ``__all__`` lists the functions ``ember`` exports."""

from . import (  # noqa: F401 - imported for their registrations
    activation,
    arithmetic,
    decompositions,
    elementwise,
    gather,
    indexing,
    joining,
    linalg,
    loss,
    misc,
    pointwise,
    random,
    reduction,
    shape,
    sorting,
    statistics,
    unary,
)

MODULES = (activation, arithmetic, decompositions, elementwise, gather, indexing, joining, linalg,
           loss, misc, pointwise, random, reduction, shape, sorting, statistics, unary)
