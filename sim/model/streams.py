"""Owned, named random streams that make common random numbers hold case by case.

One run owns one root ``numpy.random.SeedSequence`` built from the scenario's seed and the
replication number. Every *purpose* gets its own stream, named by a key such as
``("effort", "industrial", "land_use_permit", 1, 0, 0)`` (case type, item, step, visit, round):
element ``k`` of a stream belongs to the k-th case of its type. The draw a case gets therefore
depends only on the seed, the replication, the key and the case's index — never on the order in
which events happen — so two scenarios run with the same seed see the same projects (common
random numbers), and a run gives identical numbers whatever else runs beside it. No module of
``sim`` touches a global generator.

Per-case streams are made in blocks of :data:`BLOCK` cases, each block its own generator
(spawned from the root by the key and the block number), and only when a case of the block first
needs one: a loop that brings one case back for its 30th visit costs one block, not a draw for
every case of its type.
"""

from __future__ import annotations

import zlib

import numpy as np

BLOCK = 1024
"""Cases per block of a per-case stream (a power of two: ``k >> SHIFT``, ``k & MASK``)."""
SHIFT = 10
MASK = BLOCK - 1


def key_words(key: tuple[str | int, ...]) -> tuple[int, ...]:
    """A stream key as stable 32-bit words (CRC-32 of names; integers as they are)."""
    return tuple(p if isinstance(p, int) else zlib.crc32(str(p).encode()) for p in key)


class Streams:
    """The random streams of one replication, created on first use and cached by key."""

    def __init__(self, seed: int, replication: int = 0):
        self.seed = int(seed)
        self.replication = int(replication)
        self._gens: dict[tuple, np.random.Generator] = {}
        self._uniforms: dict[tuple, np.ndarray] = {}

    def generator(self, key: tuple[str | int, ...]) -> np.random.Generator:
        """The generator of the stream named ``key`` (same key, same stream, every time)."""
        gen = self._gens.get(key)
        if gen is None:
            seq = np.random.SeedSequence(self.seed, spawn_key=(self.replication, *key_words(key)))
            gen = self._gens[key] = np.random.Generator(np.random.PCG64(seq))
        return gen

    def uniforms(self, key: tuple[str | int, ...], n: int) -> np.ndarray:
        """The first ``n`` uniforms of stream ``key``; a longer request extends, never redraws."""
        have = self._uniforms.get(key)
        if have is None or len(have) < n:
            gen = self.generator(key)
            more = gen.random(n - (0 if have is None else len(have)))
            have = more if have is None else np.concatenate([have, more])
            self._uniforms[key] = have
        return have[:n]

    def block(self, key: tuple[str | int, ...], block: int) -> np.ndarray:
        """The uniforms of cases ``block * BLOCK`` to ``block * BLOCK + BLOCK - 1`` of ``key``."""
        seq = np.random.SeedSequence(
            self.seed, spawn_key=(self.replication, *key_words(key), 0x5EED_B10C, block)
        )
        return np.random.Generator(np.random.PCG64(seq)).random(BLOCK)


SUB_SHIFT = 6
"""Variates are computed (``ppf``) for 2**SUB_SHIFT cases at a time, when one of them asks."""
SUB_MASK = (1 << SUB_SHIFT) - 1
_SUBS = BLOCK >> SUB_SHIFT


class CaseStream:
    """One per-case stream of a run: the value of case ``k`` under ``dist`` (``None``: uniform).

    The uniforms of a block of :data:`BLOCK` cases are drawn together; the distribution's
    quantile function is applied to 64 cases at a time, when one of them first needs a value,
    so a stream that few cases reach (a tenth visit, a third correction) costs little. Either way
    the value of case ``k`` depends only on the seed, the key and ``k``. :meth:`value` is the
    engine's hot path.
    """

    __slots__ = ("streams", "key", "dist", "subs", "uniforms", "filled")

    def __init__(self, streams: Streams, key: tuple, dist=None):
        self.streams = streams
        self.key = key
        self.dist = dist
        self.subs: list[list[float] | None] = []
        self.uniforms: dict[int, np.ndarray] = {}
        self.filled: dict[int, int] = {}  # sub-blocks computed so far, per block

    def value(self, k: int) -> float:
        """The draw of case index ``k``."""
        sb = k >> SUB_SHIFT
        subs = self.subs
        if sb < len(subs):
            sub = subs[sb]
            if sub is not None:
                return sub[k & SUB_MASK]
        return self._fill(sb)[k & SUB_MASK]

    def take(self, k: int) -> float:
        """The draw of case index ``k``, for a stream read once per case in index order.

        The values of a sub-block are let go once its last case has taken its value (asked
        again, they would be computed again, equal), so such a stream holds 64 values, not one
        per case.
        """
        sb = k >> SUB_SHIFT
        subs = self.subs
        sub = subs[sb] if sb < len(subs) else None
        if sub is None:
            sub = self._fill(sb)
        if k & SUB_MASK == SUB_MASK:
            subs[sb] = None
        return sub[k & SUB_MASK]

    def _fill(self, sb: int) -> list[float]:
        subs = self.subs
        while len(subs) <= sb:
            subs.append(None)
        b = sb // _SUBS
        u = self.uniforms.get(b)
        if u is None:
            u = self.uniforms[b] = self.streams.block(self.key, b)
        lo = (sb % _SUBS) << SUB_SHIFT
        part = u[lo : lo + (1 << SUB_SHIFT)]
        sub = subs[sb] = (part if self.dist is None else self.dist.ppf(part)).tolist()
        filled = self.filled[b] = self.filled.get(b, 0) + 1
        if filled >= _SUBS:
            del self.uniforms[b]  # every sub-block of the block is computed: let the uniforms go
            del self.filled[b]
        return sub


class ArrayStream:
    """Values given as a numpy array (one per case), read as Python floats a block at a time."""

    __slots__ = ("array", "blocks")

    def __init__(self, array: np.ndarray):
        self.array = array
        self.blocks: list[list[float] | None] = []

    def take(self, k: int) -> float:
        """The value of case index ``k``, read once per case in index order (see CaseStream)."""
        value = self.value(k)
        if k & MASK == MASK:
            self.blocks[k >> SHIFT] = None
        return value

    def value(self, k: int) -> float:
        """The value of case index ``k``."""
        b = k >> SHIFT
        blocks = self.blocks
        if b < len(blocks):
            block = blocks[b]
            if block is not None:
                return block[k & MASK]
        while len(blocks) <= b:
            blocks.append(None)
        block = blocks[b] = self.array[b << SHIFT : (b + 1) << SHIFT].tolist()
        return block[k & MASK]
