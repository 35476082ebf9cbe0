"""Read-only, hashable containers for the immutable model (they pickle, unlike mapping proxies).

:class:`FrozenMap` is a read-only mapping that keeps its insertion order, compares equal to any
mapping with the same items (order-insensitive, like ``dict``) and hashes consistently with that
equality. :func:`freeze` turns nested plain data (dicts, lists) into frozen maps and tuples so a
model can hold free-form data (``calibration``) and still be hashable.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Set
from typing import Any, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class FrozenMap(Mapping[K, V]):
    """A read-only mapping: no item assignment, hashable, picklable, ``==`` like a ``dict``."""

    __slots__ = ("_data", "_hash")

    def __init__(self, data: Mapping[K, V] | None = None):
        self._data: dict[K, V] = dict(data) if data is not None else {}
        self._hash: int | None = None

    def __getitem__(self, key: K) -> V:
        return self._data[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def get(self, key: K, default: Any = None) -> Any:
        return self._data.get(key, default)

    def keys(self):
        return self._data.keys()

    def items(self):
        return self._data.items()

    def values(self):
        return self._data.values()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FrozenMap):
            return self._data == other._data
        if isinstance(other, Mapping):
            return self._data == dict(other.items())
        return NotImplemented

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._data.items()))
        return self._hash

    def __repr__(self) -> str:
        return f"FrozenMap({self._data!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenMap, (self._data,))

    def __or__(self, other: Mapping[K, V]) -> FrozenMap[K, V]:
        return FrozenMap({**self._data, **other})


def freeze(value: Any) -> Any:
    """``value`` with every mapping a :class:`FrozenMap` and every list a tuple (recursively)."""
    if isinstance(value, FrozenMap) and all(_is_frozen(v) for v in value.values()):
        return value
    if isinstance(value, Mapping):
        return FrozenMap({k: freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    if isinstance(value, Set) and not isinstance(value, frozenset):
        return frozenset(freeze(v) for v in value)
    return value


def _is_frozen(value: Any) -> bool:
    if isinstance(value, FrozenMap):
        return all(_is_frozen(v) for v in value.values())
    if isinstance(value, tuple):
        return all(_is_frozen(v) for v in value)
    return not isinstance(value, Mapping | list | Set) or isinstance(value, frozenset)


def frozen_map(value: Mapping[K, V] | None) -> FrozenMap[K, V]:
    """``value`` as a :class:`FrozenMap` (shallow; the same object when it already is one)."""
    if isinstance(value, FrozenMap):
        return value
    return FrozenMap(value or {})
