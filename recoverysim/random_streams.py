"""Named random streams derived from the run seed (common random numbers).

Every random process in the model draws from its own stream, and each use draws a fixed number of values
(usually one per person per week) whatever the state of the model. Two scenarios run with the same seed
therefore see the same random numbers wherever their mechanisms agree, and differ only where the
mechanisms differ; a rerun with the same seed is bit-identical.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import zlib
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import fields

import numpy as np


def stream_key(name: str) -> int:
    """Stable 32-bit key of a stream name (independent of Python's hash randomisation)."""
    return zlib.crc32(name.encode())


def derive_seed(seed: int, *path: int) -> int:
    """A child seed of ``seed`` along ``path`` (e.g. replicate index), stable across platforms."""
    ss = np.random.SeedSequence(seed, spawn_key=tuple(int(p) for p in path))
    return int(ss.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


#: Fewest 64-bit outputs of one stream per week for which the next week's are drawn ahead in a background thread:
#: below it the hand-over costs more than the drawing (sensitivity runs of a few thousand people).
PREFETCH_MIN_OUTPUTS = 1 << 17
_prefetcher: ThreadPoolExecutor | None = None


def _background() -> ThreadPoolExecutor:
    global _prefetcher
    if _prefetcher is None:
        _prefetcher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="recoverysim-prefetch")
    return _prefetcher


class RandomStreams:
    """A family of independent generators, one per named process."""

    def __init__(self, seed: int, record: bool = False):
        self.seed = int(seed)
        self._streams: dict[str, np.random.Generator] = {}
        self._keys: dict[str, int] = {}
        self._offset_tables: dict[tuple[str, ...], np.ndarray] = {}
        self.record = record
        self.digests: dict[str, hashlib._Hash] = {}
        # name -> (generator state before the draw, number of outputs, the outputs or their Future)
        self._ahead: dict[str, tuple[dict, int, Future | np.ndarray]] = {}

    def __getitem__(self, name: str) -> np.random.Generator:
        """The generator of stream ``name``, as if nothing had been drawn ahead."""
        if name in self._ahead:
            self._take_ahead(name, None)
        return self._generator(name)

    def _generator(self, name: str) -> np.random.Generator:
        gen = self._streams.get(name)
        if gen is None:
            seq = np.random.SeedSequence(self.seed, spawn_key=(stream_key(name),))
            gen = np.random.Generator(np.random.PCG64(seq))
            self._streams[name] = gen
        return gen

    def raw_outputs(self, name: str, n: int, ahead: bool = False) -> np.ndarray:
        """The next ``n`` 64-bit outputs of stream ``name``; with ``ahead``, start drawing the ``n`` after them.

        The outputs drawn ahead (in a background thread, while the model steps) are exactly the next ones: any
        other use of the stream, or a different ``n``, waits for them and puts the generator back where it was.
        """
        values = self._take_ahead(name, n) if name in self._ahead else None
        gen = self._generator(name)
        if values is None:
            values = _raw_outputs(gen, n)
        if ahead:
            self._ahead[name] = (gen.bit_generator.state, n, _background().submit(_raw_outputs, gen, n))
        return values

    def _take_ahead(self, name: str, n: int | None) -> np.ndarray | None:
        """The outputs drawn ahead for ``name`` if there are ``n`` of them; otherwise undo the draw."""
        state, count, values = self._ahead.pop(name)
        values = values.result() if isinstance(values, Future) else values
        if count == n:
            return values
        self._streams[name].bit_generator.state = state
        return None

    def __getstate__(self) -> dict:
        """The state to copy or pickle: outputs being drawn ahead are waited for and kept as arrays."""
        state = self.__dict__.copy()
        state["_ahead"] = {name: (before, n, values.result() if isinstance(values, Future) else values)
                           for name, (before, n, values) in self._ahead.items()}
        return state

    def uniform(self, name: str, n: int) -> np.ndarray:
        """``n`` uniforms on [0, 1) from stream ``name``.

        Single precision halves the cost of the per-person weekly draws; its resolution (2**-24) is far
        below the smallest weekly probabilities the model uses (about 1e-4).
        """
        gen = self[name]
        if n % 2 == 0:
            # The same numbers as gen.random(n, dtype=np.float32) (each 64-bit output gives two 32-bit halves,
            # low half first, of which the top 24 bits make the float), at about half the cost.
            draws = _unit_floats(gen.bit_generator.random_raw(n // 2).view(np.uint32))
        else:
            draws = gen.random(n, dtype=np.float32)
        if self.record:
            self.digests.setdefault(name, hashlib.sha256()).update(draws.tobytes())
        return draws

    def keyed_uniform(self, name: str, week: int, ids: np.ndarray) -> np.ndarray:
        """Uniforms keyed by (seed, stream, week, id): one fixed number per person-week, drawn for any subset.

        Event-level draws (how a crisis is answered, whether an admission is coercive) use this so a person's
        number does not depend on who else had an event that week: common random numbers at event level.
        """
        return self.keyed_uniforms((name,), week, ids)[0]

    def keyed_uniforms(self, names: tuple[str, ...], week: int, ids: np.ndarray) -> np.ndarray:
        """``keyed_uniform`` of several streams for the same ids, shape (len(names), ids.size).

        Row k holds exactly the numbers ``keyed_uniform(names[k], week, ids)`` gives; hashing them in one pass
        saves the fixed cost of a dozen array operations per stream when, as most weeks, few people are drawn.
        """
        if ids.size == 0:
            draws = np.zeros((len(names), 0))
        else:
            draws = _keyed_draws(ids, self._offsets(names, week)[:, None])
        self._record(names, draws)
        return draws

    def _record(self, names: tuple[str, ...], draws) -> None:
        if self.record:
            for name, row in zip(names, draws, strict=True):
                self.digests.setdefault(name, hashlib.sha256()).update(row.tobytes())

    def _offsets(self, names: tuple[str, ...], week: int) -> np.ndarray:
        """The scalar offsets of ``names`` in ``week``, read from a table built once per tuple of names.

        A table holds every week up to a horizon (doubled when passed), computed in one vectorised pass: a
        per-call Python loop over the names cost about as much as the hashing it keys.
        """
        table = self._offset_tables.get(names)
        if table is None or week >= table.shape[1]:
            horizon = max(1024, 2 * week + 1, 0 if table is None else 2 * table.shape[1])
            bases = np.array([self._base(name) for name in names], np.uint64)
            table = self._offset_tables[names] = _offset_table(bases, horizon)
        return table[:, week]

    def _offset(self, name: str, week: int) -> int:
        """One stream's offset in one week (the definition ``_offset_table`` vectorises)."""
        return (_mix(self._base(name) ^ _mix(week & _MASK)) + 0x9E3779B97F4A7C15) & _MASK

    def _base(self, name: str) -> int:
        base = self._keys.get(name)
        if base is None:
            base = self._keys[name] = _mix(self.seed ^ _mix(stream_key(name)))
        return base

    def digest(self, name: str) -> str:
        """SHA-256 of everything drawn so far from ``name`` (only when recording)."""
        return self.digests[name].hexdigest() if name in self.digests else ""


_MASK = (1 << 64) - 1
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)


def _mix(x: int) -> int:
    """SplitMix64 on one Python integer (the per-call key; cheaper than a one-element array)."""
    z = (x + 0x9E3779B97F4A7C15) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def _raw_outputs(gen: np.random.Generator, n: int) -> np.ndarray:
    """The next ``n`` 64-bit outputs of ``gen``'s bit generator, as ``bit_generator.random_raw(n)`` gives them.

    Full-range integers are those outputs unchanged (the generator's state advances alike). Below the sizes drawn
    ahead in the background ``random_raw`` costs a third as much (5 us against 15 us for 2,000 outputs, numpy 2.5;
    a calibration's runs of a few thousand people make this call once per stream, run and week). At those sizes
    the two measured about even (2 million outputs), so the background path keeps the call it was benchmarked with.
    """
    if n < PREFETCH_MIN_OUTPUTS:
        return gen.bit_generator.random_raw(n)
    return gen.integers(0, _MASK, size=n, dtype=np.uint64, endpoint=True)


def _unit_floats(bits: np.ndarray) -> np.ndarray:
    """Single-precision uniforms from 32-bit outputs (their top 24 bits, as numpy does); ``bits`` is consumed."""
    bits >>= np.uint32(8)
    draws = bits.astype(np.float32)
    draws *= np.float32(2.0**-24)
    return draws


def _keyed_draws(ids: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """SplitMix64 uniforms on [0, 1) of ``ids`` under per-stream ``offsets`` (broadcast against the ids).

    SplitMix64's first step (adding the golden ratio) is folded into each stream's scalar offset; uint64 array
    arithmetic wraps silently, as SplitMix64 needs.
    """
    z = np.multiply(ids, _GOLDEN, dtype=np.uint64, casting="unsafe")  # ids are non-negative
    z = np.add(z, offsets)
    _finalise(z)
    z >>= _S11
    return z * 2.0**-53


def _finalise(z: np.ndarray) -> np.ndarray:
    """SplitMix64's mixing of an already offset uint64 array, in place."""
    z ^= z >> _S30
    z *= _M1
    z ^= z >> _S27
    z *= _M2
    z ^= z >> _S31
    return z


def _offset_table(bases: np.ndarray, horizon: int) -> np.ndarray:
    """``RandomStreams._offset`` of each base (rows) in every week 0..horizon-1 (columns), vectorised."""
    weeks = np.arange(horizon, dtype=np.uint64) + _GOLDEN
    z = (bases[:, None] ^ _finalise(weeks)) + _GOLDEN
    _finalise(z)
    return z + _GOLDEN


class BatchStreams:
    """The weekly random streams of several runs stepped together (run r's people are r*n .. (r+1)*n - 1).

    Each run draws from its own family (``RandomStreams(seed_r)``) exactly the numbers it would draw alone:
    per-person draws are taken run by run and joined; keyed draws are keyed by the person's index within their
    run under their run's stream keys. One run is a batch of one, so a run in a batch equals the same run alone.
    """

    def __init__(self, families: list[RandomStreams], run_size: int):
        self.families = families
        self.runs = len(families)
        self.run_size = run_size
        self.record = families[0].record
        self._offset_tables: dict[tuple[str, ...], np.ndarray] = {}

    def run_of(self, people: np.ndarray) -> np.ndarray:
        """The run of each person index."""
        return people // self.run_size

    def local(self, people: np.ndarray) -> np.ndarray:
        """Each person's index within their run (the key of their keyed draws)."""
        return people % self.run_size

    def uniform_below(self, name: str, bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The people whose ``uniform(name, n)`` draw of their run is below their run's bound, and their draws.

        Each run's stream advances exactly as ``RandomStreams.uniform`` would and the draws are the same numbers,
        but the comparison is made on the integers behind them, so no float array of everyone is built (rare
        events: most weekly draws are only compared and dropped). Everyone below their bound is returned,
        possibly with a few just above it; callers make the exact comparison on what comes back.
        """
        n = self.run_size
        bounds = np.asarray(bounds, np.float64)
        bounds = bounds.tolist() if bounds.ndim else [float(bounds)] * self.runs
        if n % 2 or self.record:
            parts = []
            for r, family in enumerate(self.families):
                draws = family.uniform(name, n)
                who = (draws < bounds[r]).nonzero()[0]
                parts.append((who + r * n, draws[who]))
            return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
        ahead = n // 2 >= PREFETCH_MIN_OUTPUTS  # next week's outputs drawn in the background, while the model steps
        raw = [family.raw_outputs(name, n // 2, ahead) for family in self.families]
        bits = (raw[0] if self.runs == 1 else np.concatenate(raw)).view(np.uint32)
        # A draw is (bits >> 8) * 2**-24, so draw < bound implies bits <= (floor(bound * 2**24) + 1) * 2**8 - 1.
        # Python integers for these few numbers: cheaper than a chain of small array operations.
        top = [min(((math.floor(min(max(b, 0.0), 1.0) * 2**24) + 1) << 8) - 1, 2**32 - 1) for b in bounds]
        if self.runs == 1:
            who = (bits <= np.uint32(top[0])).nonzero()[0]
        else:
            below = bits.reshape(self.runs, n, copy=False) <= np.array(top, np.uint32)[:, None]
            who = below.reshape(-1, copy=False).nonzero()[0]
        return who, _unit_floats(bits[who])

    def keyed_uniforms(self, names: tuple[str, ...], week: int, people: np.ndarray,
                       keys: np.ndarray | None = None) -> np.ndarray:
        """``RandomStreams.keyed_uniforms`` for people of any runs, shape (len(names), people.size).

        ``keys`` are the draws' keys within each person's run (default: the person's index within it).
        """
        if people.size == 0:
            draws = np.zeros((len(names), 0))
        else:
            run = self.run_of(people)
            offsets = self._offsets(names, week).take(run, axis=0).T  # (names, people)
            draws = _keyed_draws(self.local(people) if keys is None else keys, offsets)
        self._record(names, draws, people)
        return draws

    def keyed_uniform_groups(self, names: tuple[str, ...], week: int, people: tuple[np.ndarray, ...],
                             keys: tuple[np.ndarray, ...] | None = None) -> list[np.ndarray]:
        """``keyed_uniforms(names[k], week, people[k], keys[k])`` for every k, hashed in one pass."""
        sizes = [a.size for a in people]
        if sum(sizes) == 0:
            draws = [np.zeros(0) for _ in names]
        else:
            everyone = np.concatenate(people)
            run = self.run_of(everyone)
            stream = np.repeat(np.arange(len(names)), sizes)
            offsets = self._offsets(names, week)[run, stream]
            flat = _keyed_draws(self.local(everyone) if keys is None else np.concatenate(keys), offsets)
            # Views of each group's part (np.split costs more than the slicing it does).
            ends = list(itertools.accumulate(sizes))
            draws = [flat[end - size:end] for size, end in zip(sizes, ends, strict=True)]
        for name, row, who in zip(names, draws, people, strict=True):
            self._record((name,), row[None, :], who)
        return draws

    def _record(self, names: tuple[str, ...], draws, people: np.ndarray) -> None:
        if self.record:
            run = self.run_of(people)
            for r, family in enumerate(self.families):
                mine = run == r
                family._record(names, [row[mine] for row in draws])

    def _offsets(self, names: tuple[str, ...], week: int) -> np.ndarray:
        """Each run's offsets of ``names`` in ``week``, shape (runs, len(names)), from a table built once."""
        table = self._offset_tables.get(names)
        if table is None or week >= table.shape[2]:
            horizon = max(1024, 2 * week + 1, 0 if table is None else 2 * table.shape[2])
            bases = np.array([[family._base(name) for name in names] for family in self.families], np.uint64)
            table = _offset_table(bases.reshape(-1), horizon).reshape(self.runs, len(names), horizon)
            self._offset_tables[names] = table
        return table[:, :, week]

    def digest(self, name: str, run: int = 0) -> str:
        """SHA-256 of everything run ``run`` drew so far from ``name`` (only when recording)."""
        return self.families[run].digest(name)


class KeyedDraws:
    """Base of a named bundle of keyed draws: a dataclass with one field per stream, aligned with people.

    The field names are the stream names, so a rule reads ``draws.coercion`` rather than a row by position.
    """

    __slots__ = ()

    @classmethod
    def stream_names(cls) -> tuple[str, ...]:
        """The streams of the bundle, in field order."""
        names = cls.__dict__.get("_stream_names")
        if names is None:  # once per class: the rules draw every week
            names = tuple(f.name for f in fields(cls))
            cls._stream_names = names
        return names

    @classmethod
    def draw(cls, streams: BatchStreams, week: int, people: np.ndarray):
        """Each stream's keyed uniforms of ``people`` in ``week``, hashed in one pass."""
        return cls(*streams.keyed_uniforms(cls.stream_names(), week, people))

    def take(self, positions: np.ndarray):
        """The draws of the people at ``positions`` (of the people drawn for)."""
        return type(self)(*[getattr(self, name).take(positions) for name in self.stream_names()])
