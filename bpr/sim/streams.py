"""Random streams: one per source of randomness, keyed so that scenarios share random numbers.

Every source (``arrivals``, ``duration:<activity>``, ``delay:<activity>``, ``gateway:<name>``,
``timer:<name>``) has its own numpy ``Generator`` seeded from
``SeedSequence([seed, replication, crc32(source), part])`` — never Python's ``hash()``, which
changes between processes.

**Common random numbers, per case.** A case's *first* visit to a node takes its value from a
block of pre-sampled values indexed by the case number (``part`` = 1 + case // BLOCK), so case 17
gets the same duration for "Check credit" and the same choice at gateway "Approved?" in two
variants of a model run with the same seed, even if other changes reorder cases in time. The
k-th repeated visit (loops, k <= MAX_KEYED_VISITS) is keyed the same way by a sub-source
``<source>#k``; visits beyond that draw from a sequential stream of the source (``part`` = 0),
shared by all cases in the order they ask. The arrival stream
is sequential (only the arrival process reads it). Values are pre-sampled in numpy blocks for
speed; results never depend on the block sizes being the same across runs of different models,
because blocks are keyed by case numbers, not by consumption order.
"""

from __future__ import annotations

import itertools
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

BLOCK = 512          # cases per pre-sampled block of first-visit values
SEQ_BLOCK = 1024     # values per refill of a sequential stream
_CACHE_BLOCKS = 8    # blocks kept per source (older ones are regenerated on demand)
MAX_KEYED_VISITS = 16  # repeated visits keyed by case; later ones are drawn sequentially

Sampler = Callable[[np.random.Generator, int], Any]  # (rng, n) -> n values (array or list)


def source_key(source: str) -> int:
    """A stable 32-bit key of a source name (the same in every process and Python version)."""
    return zlib.crc32(source.encode("utf-8"))


def generator(seed: int, replication: int, source: str, part: int = 0) -> np.random.Generator:
    """The generator of ``source`` in ``replication`` (``part`` selects a block, see module doc)."""
    ss = np.random.SeedSequence([int(seed), int(replication), source_key(source), int(part)])
    return np.random.Generator(np.random.PCG64(ss))


def _blocks(sampler: Sampler, rng: np.random.Generator, size: int) -> Iterator[list[Any]]:
    while True:
        yield _as_list(sampler(rng, size))


def _as_list(values: Any) -> list[Any]:
    return values.tolist() if isinstance(values, np.ndarray) else list(values)


def sequential(sampler: Sampler, seed: int, replication: int, source: str,
               size: int = SEQ_BLOCK) -> Callable[[], Any]:
    """A zero-argument function returning the source's next value (pre-sampled in blocks)."""
    rng = generator(seed, replication, source, 0)
    return itertools.chain.from_iterable(_blocks(sampler, rng, size)).__next__


class CaseStream:
    """Values of one source keyed by case: :meth:`first` for a case's first visit, :meth:`again`
    for later visits (see the module doc)."""

    __slots__ = ("sampler", "seed", "replication", "source", "cache", "again", "subs")

    def __init__(self, sampler: Sampler, seed: int, replication: int, source: str):
        self.sampler = sampler
        self.seed = seed
        self.replication = replication
        self.source = source
        self.cache: dict[int, list[Any]] = {}
        self.again = sequential(sampler, seed, replication, source)
        self.subs: dict[int, CaseStream] = {}

    def visit(self, case: int, k: int) -> Any:
        """The value of ``case``'s visit number ``k`` (0 for the first visit)."""
        if k == 0:
            return self.first(case)
        if k <= MAX_KEYED_VISITS:
            sub = self.subs.get(k)
            if sub is None:
                sub = self.subs[k] = CaseStream(self.sampler, self.seed, self.replication,
                                                f"{self.source}#{k}")
            return sub.first(case)
        return self.again()

    def first(self, case: int) -> Any:
        """The value of ``case``'s first visit."""
        block = case // BLOCK
        values = self.cache.get(block)
        if values is None:
            values = self._load(block)
        return values[case - block * BLOCK]

    def _load(self, block: int) -> list[Any]:
        rng = generator(self.seed, self.replication, self.source, block + 1)
        values = _as_list(self.sampler(rng, BLOCK))
        cache = self.cache
        if len(cache) >= _CACHE_BLOCKS:
            del cache[min(cache)]
        cache[block] = values
        return values


def distribution_sampler(dist: Any) -> Sampler:
    """A sampler drawing seconds from a :class:`bpr.model.Distribution`."""
    return dist.sample


def uniform_sampler(width: int = 1) -> Sampler:
    """A sampler of uniforms in [0, 1): one per value, or rows of ``width`` when ``width > 1``."""
    if width == 1:
        return lambda rng, n: rng.random(n)
    return lambda rng, n: rng.random((n, width))
