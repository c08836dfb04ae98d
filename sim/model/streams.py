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
from array import array

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
        self._scratch: np.random.Generator | None = None

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

    def forget(self, key: tuple[str | int, ...]) -> None:
        """Let go of the uniforms :meth:`uniforms` holds for ``key`` (its stream is done)."""
        self._uniforms.pop(key, None)
        self._gens.pop(key, None)

    def block(self, key: tuple[str | int, ...], block: int) -> np.ndarray:
        """The uniforms of cases ``block * BLOCK`` to ``block * BLOCK + BLOCK - 1`` of ``key``."""
        return self.draw(self.block_state(key, block), 0, BLOCK)

    def block_state(self, key: tuple[str | int, ...], block: int) -> dict:
        """The initial state of the generator of one block of ``key`` (see :meth:`block`)."""
        seq = np.random.SeedSequence(
            self.seed, spawn_key=(self.replication, *key_words(key), 0x5EED_B10C, block)
        )
        return np.random.PCG64(seq).state

    def draw(self, state: dict, start: int, n: int) -> np.ndarray:
        """Uniforms ``start`` to ``start + n - 1`` of the generator that begins in ``state``.

        One scratch generator is set to the state and advanced (PCG64 jumps ahead in a few
        steps; a double takes one 64-bit output), so part of a block costs no seeding.
        """
        scratch = self._scratch
        if scratch is None:
            scratch = self._scratch = np.random.Generator(np.random.PCG64(0))
        bits = scratch.bit_generator
        bits.state = state
        if start:
            bits.advance(start)
        return scratch.random(n)


RING = 32
"""Sub-blocks of values a stream holds (a ring: sub-block ``sb`` lives in slot ``sb % RING``,
so a stream holds the values of the 2,048 cases behind the newest it reached). Older ones are
computed again, equal, if a case asks for them (a late return): memory stays bounded over a long
run whatever the number of streams."""
RING_MASK = RING - 1
HELD_BLOCKS = 64
"""Block generator states a stream keeps (a few hundred bytes each), so that computing a
sub-block again costs no seeding."""

SUB_SHIFT = 6
"""Variates are computed (``ppf``) for 2**SUB_SHIFT cases at a time, when one of them asks."""
SUB_MASK = (1 << SUB_SHIFT) - 1
SUB = 1 << SUB_SHIFT


class CaseStream:
    """One per-case stream of a run: the value of case ``k`` under ``dist`` (``None``: uniform).

    The uniforms of case ``k`` are element ``k % BLOCK`` of block ``k // BLOCK`` (see
    :meth:`Streams.block`); they are drawn, and the distribution's quantile function applied,
    64 cases at a time, when one of them first needs a value, so a stream that few cases reach
    (a tenth visit, a third correction) costs little. The values are held as ``array('d')`` (8
    bytes a value) in a ring of :data:`RING` sub-blocks. Either way the value of case ``k``
    depends only on the seed, the key and ``k``. :meth:`value` is the engine's hot path.
    """

    __slots__ = ("streams", "key", "dist", "tags", "vals", "states")

    def __init__(self, streams: Streams, key: tuple, dist=None):
        self.streams = streams
        self.key = key
        self.dist = dist
        self.tags = [-1] * RING  # the sub-block each slot holds (-1: none)
        self.vals: list[array | None] = [None] * RING
        self.states: dict[int, dict] = {}  # generator state of each block met (at most HELD)

    def value(self, k: int) -> float:
        """The draw of case index ``k``."""
        sb = k >> SUB_SHIFT
        i = sb & RING_MASK
        if self.tags[i] == sb:
            return self.vals[i][k & SUB_MASK]  # type: ignore[index]
        return self._fill(sb)[k & SUB_MASK]

    def take(self, k: int) -> float:
        """The draw of case index ``k``, for a stream read once per case in index order.

        The values of a sub-block are let go once its last case has taken its value (asked
        again, they would be computed again, equal).
        """
        sb = k >> SUB_SHIFT
        i = sb & RING_MASK
        sub = self.vals[i] if self.tags[i] == sb else self._fill(sb)
        if k & SUB_MASK == SUB_MASK:
            self.tags[i] = -1
            self.vals[i] = None
        return sub[k & SUB_MASK]  # type: ignore[index]

    def _fill(self, sb: int) -> array:
        b = sb >> (SHIFT - SUB_SHIFT)
        state = self.states.get(b)
        if state is None:
            states = self.states
            if len(states) >= HELD_BLOCKS:
                del states[next(iter(states))]  # the block met first
            state = states[b] = self.streams.block_state(self.key, b)
        u = self.streams.draw(state, (sb << SUB_SHIFT) & MASK, SUB)
        values = u if self.dist is None else self.dist.ppf(u)
        sub = array("d", np.ascontiguousarray(values, dtype=float).tobytes())
        i = sb & RING_MASK
        self.tags[i] = sb
        self.vals[i] = sub
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


class ConstantStream:
    """The same value for every case (a deterministic distribution needs no array)."""

    __slots__ = ("constant",)

    def __init__(self, constant: float):
        self.constant = constant

    def take(self, k: int) -> float:
        """The value (for case index ``k``, read once)."""
        return self.constant

    def value(self, k: int) -> float:
        """The value (for case index ``k``)."""
        return self.constant
