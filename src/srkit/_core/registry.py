"""Explicit registries of named builders: no folder scanning, and a duplicate name raises."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from srkit._core.errors import SrkitError

T = TypeVar("T")


class Registry(Generic[T]):
    """A name -> object map filled by explicit calls to :meth:`register`.

    Example:
        >>> methods: Registry[int] = Registry("method")
        >>> methods.register("one", 1)
        >>> methods.get("one")
        1
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str, item: T) -> None:
        """Add ``item`` under ``name`` (lower-case); raise if the name is taken."""
        if not name or name != name.lower():
            raise ValueError(f"{self.kind} names are non-empty and lower-case, got {name!r}")
        if name in self._items:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._items[name] = item

    def decorator(self, name: str) -> Callable[[T], T]:
        """``@registry.decorator("name")`` form of :meth:`register`."""

        def wrap(item: T) -> T:
            self.register(name, item)
            return item

        return wrap

    def get(self, name: str) -> T:
        """The item registered as ``name``; a :class:`SrkitError` listing the known names otherwise."""
        try:
            return self._items[name]
        except KeyError:
            known = ", ".join(sorted(self._items)) or "none"
            raise SrkitError(f"unknown {self.kind} {name!r}; available: {known}") from None

    def names(self) -> list[str]:
        """All registered names, sorted."""
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._items)
