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
