"""Recording constructor arguments, so that a module can be rebuilt from ``module.hparams`` (spandrel's idea).

Example:
    >>> import torch
    >>> class Net(torch.nn.Module):
    ...     @store_hparams
    ...     def __init__(self, *, n_feats: int = 8) -> None:
    ...         super().__init__()
    ...         self.conv = torch.nn.Conv2d(3, n_feats, 3)
    >>> Net(n_feats=4).hparams
    {'n_feats': 4}
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., None])


def store_hparams(init: F) -> F:
    """Decorate a keyword-only ``__init__``: after it runs, ``self.hparams`` holds every argument (defaults
    filled in), so ``type(m)(**m.hparams)`` builds the same architecture. Positional arguments are refused."""
    signature = inspect.signature(init)
    for name, param in list(signature.parameters.items())[1:]:
        if param.kind not in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.VAR_KEYWORD):
            raise TypeError(f"{init.__qualname__}: argument {name!r} must be keyword-only (put it after '*')")

    @functools.wraps(init)
    def wrapper(self: Any, **kwargs: Any) -> None:
        bound = signature.bind(self, **kwargs)
        bound.apply_defaults()
        init(self, **kwargs)
        arguments = dict(bound.arguments)
        arguments.pop(next(iter(signature.parameters)))
        extra = (
            arguments.pop("kwargs", None)
            if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in signature.parameters.values())
            else None
        )
        if extra:
            arguments.update(extra)
        # The innermost class records last, so a subclass's arguments win over its parent's.
        if type(self).__init__ is wrapper or not hasattr(self, "hparams"):
            object.__setattr__(self, "hparams", arguments)

    return wrapper  # type: ignore[return-value]
