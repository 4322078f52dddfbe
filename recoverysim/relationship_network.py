"""Relationship networks: four tie types stored sparsely and changing as the model runs.

Each tie type is a sparse person-by-alter matrix in COO form (``scipy.sparse.coo_array`` views of growable
triplet arrays). Family and community alters are people outside the service system, so each tie has its own
alter; professionals are shared (their number follows ``levers.professionals_per_1000``); peer ties join
two service users. Removing a tie zeroes its entry; compaction happens when a matrix is mostly zeros.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from recoverysim.batch import derived
from recoverysim.codes import CONTROL
from recoverysim.parameters import WEEKS_PER_YEAR
from recoverysim.population import REAL, of_runs
from recoverysim.random_streams import RandomStreams

TIE_TYPES = ("family", "professional", "peer", "community")


class TieMatrix:
    """Growable COO triplets (row=person, col=alter, data=1 active / 0 removed) with per-person degree.

    Each tie also carries a loss threshold ``E ~ Exp(1)``, drawn once when the tie is made and keyed by the
    tie's identity, and its accumulated loss hazard; the tie ends when the accumulated hazard passes the
    threshold. This is exact for hazards that change week by week, and keeps tie losses aligned between
    scenarios (common random numbers) however the tie lists differ. Each tie carries a hazard key that selects
    its weekly hazard from the table ``accumulate`` is given: the run of its person (peer ties), or that run
    and the person's schizophrenia diagnosis (community ties: ``2 * run + flag``).

    Removed ties keep their slots (with an infinite threshold) until compaction, so a week's accumulation is
    one pass over contiguous arrays rather than a gather and scatter over the live ties.
    """

    # Rows are intp: they are gathered by and counted (``positions_of``, degrees), and numpy's take, bincount
    # and add.at first convert other index types to intp, which cost more than the gather itself.
    _FIELDS = (("_row", np.intp), ("_col", np.int32), ("_data", np.int8), ("_flag", np.intp),
               ("_threshold", np.float64), ("_accumulated", np.float64))

    def __init__(self, n_people: int, n_alters: int, rows: np.ndarray, cols: np.ndarray,
                 thresholds: np.ndarray | None = None, symmetric: bool = False, flags: np.ndarray | None = None,
                 run_size: int | None = None):
        self.n_people = n_people
        self.n_alters = n_alters
        self.symmetric = symmetric  # person-to-person ties count for both ends
        self.run_size = run_size or n_people  # ties join people of the same run
        self.active_by_run = np.zeros(n_people // self.run_size, np.int64)
        cap = max(16, 2 * rows.size)
        for name, dtype in self._FIELDS:
            setattr(self, name, np.zeros(cap, dtype))
        self.m = 0
        self.degree = np.zeros(n_people, np.int32)
        # (positions, starts, k): positions of the ties [0, k) grouped by person (both ends if symmetric).
        self._by_person: tuple[np.ndarray, np.ndarray, int] | None = None
        self.add(rows, cols, np.full(rows.size, np.inf) if thresholds is None else thresholds, flags)

    def _count(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        counts = np.bincount(rows, minlength=self.n_people)
        if self.symmetric:
            counts += np.bincount(cols, minlength=self.n_people)
        return counts.astype(np.int32)

    def _change_degree(self, rows: np.ndarray, cols: np.ndarray, sign: int) -> None:
        # A few changes: scatter-add; many: one bincount over everyone. The sign has the degrees' own type:
        # with a Python int, ufunc.at takes its slow generic loop (about 100x slower, numpy 2.5).
        if rows.size * 64 < self.n_people:
            people = np.concatenate([rows, cols]) if self.symmetric else rows
            np.add.at(self.degree, people, self.degree.dtype.type(sign))
        else:
            self.degree += sign * self._count(rows, cols)

    def degree_counts(self) -> np.ndarray:
        """Number of people with each degree 0, 1, 2, ... (cheap when most people have no tie of this type)."""
        return degree_counts(self.degree)

    @property
    def row(self) -> np.ndarray:
        """Person of each tie."""
        return self._row[: self.m]

    @property
    def col(self) -> np.ndarray:
        """Alter of each tie."""
        return self._col[: self.m]

    @property
    def active(self) -> np.ndarray:
        """1 for a live tie, 0 for a removed one."""
        return self._data[: self.m]

    @property
    def flag(self) -> np.ndarray:
        """The hazard key of each tie: its position in the table ``accumulate`` is given."""
        return self._flag[: self.m]

    def as_sparse(self) -> sp.coo_array:
        """The tie matrix as a scipy sparse array (shares memory with the triplets)."""
        return sp.coo_array((self.active, (self.row, self.col)), shape=(self.n_people, self.n_alters))

    def live_fields(self) -> tuple[np.ndarray, ...]:
        """Row, col, hazard key, threshold and accumulated hazard of the live ties (copies)."""
        live = self.active.view(np.bool_)
        return (self.row[live], self.col[live], self.flag[live], self._threshold[: self.m][live],
                self._accumulated[: self.m][live])

    def add(self, rows: np.ndarray, cols: np.ndarray, thresholds: np.ndarray, flags: np.ndarray | None = None) -> None:
        """Add ties (rows[i], cols[i]) that end when their accumulated hazard passes thresholds[i]."""
        k = rows.size
        if k == 0:
            return
        if self.m + k > self._row.size:
            cap = max(2 * self._row.size, self.m + k)
            for name, dtype in self._FIELDS:
                new = np.zeros(cap, dtype)
                new[: self.m] = getattr(self, name)[: self.m]
                setattr(self, name, new)
        new = slice(self.m, self.m + k)
        self._row[new], self._col[new], self._data[new] = rows, cols, 1
        self._flag[new] = 0 if flags is None else flags
        self._threshold[new], self._accumulated[new] = thresholds, 0.0
        self.m += k
        self._count_by_run(rows, +1)
        if not self.symmetric:  # person-to-person ties: the alters are the people
            self.n_alters = max(self.n_alters, int(cols.max()) + 1)
        self._change_degree(rows, cols, +1)

    @property
    def n_active(self) -> int:
        """Live ties (over every run)."""
        return int(self.active_by_run.sum())

    def _count_by_run(self, rows: np.ndarray, sign: int) -> None:
        if self.active_by_run.size == 1:
            self.active_by_run[0] += sign * rows.size
        else:
            self.active_by_run += sign * np.bincount(rows // self.run_size, minlength=self.active_by_run.size)

    def accumulate(self, hazard: np.ndarray) -> np.ndarray:
        """Add one week's loss hazard to the live ties and end those past their threshold; returns them.

        ``hazard`` is the table of weekly hazards that each tie's key (``flag``) indexes.
        """
        acc = self._accumulated[: self.m]
        # A lookup by integer key: much faster than np.where on an irregular mask.
        acc += np.asarray(hazard, np.float64).take(self.flag)
        ended = (acc > self._threshold[: self.m]).nonzero()[0]
        self.remove(ended)
        return ended

    def remove(self, edge_index: np.ndarray) -> None:
        """Deactivate the ties at these positions (must be active)."""
        if edge_index.size == 0:
            return
        self._data[edge_index] = 0
        self._threshold[edge_index] = np.inf
        self._count_by_run(self._row[edge_index], -1)
        self._change_degree(self._row[edge_index], self._col[edge_index], -1)
        if self.m > 1024 and self.n_active < self.m // 2:
            self._compact()

    def remove_people(self, people: np.ndarray) -> None:
        """End every live tie of ``people`` (distinct person indices), at either end."""
        found = self.positions_of(people)
        self.remove(found[self.active.take(found).view(np.bool_)])

    def positions_of(self, people: np.ndarray) -> np.ndarray:
        """Sorted positions of every tie, live or removed, with one of ``people`` (distinct) at either end.

        A few people leave each week among millions of ties, so the ties are looked up by person in an index
        instead of scanning them all; ties added since the index was built (the tail) are scanned. The index
        is rebuilt when the tail passes an eighth of the ties, and after a compaction (which moves ties).
        """
        if self._by_person is None or self.m - self._by_person[2] > self.m // 8:
            self._build_index()
        order, starts, indexed = self._by_person
        low = starts.take(people)
        counts = starts.take(people + 1) - low
        offsets = np.cumsum(counts) - counts  # where each person's ties begin among those found
        found = order.take(np.repeat(low - offsets, counts) + np.arange(counts.sum()))
        if indexed < self.m:
            flagged = np.zeros(self.n_people, np.bool_)
            flagged[people] = True
            gone = flagged.take(self._row[indexed: self.m])
            if self.symmetric:
                gone |= flagged.take(self._col[indexed: self.m])
            found = np.concatenate([found, indexed + gone.nonzero()[0]])
        # A tie between two of the people is found from both of its ends.
        return np.unique(found) if self.symmetric else np.sort(found)

    def _build_index(self) -> None:
        m = self.m
        ends = np.concatenate([self._row[:m], self._col[:m]]) if self.symmetric else self._row[:m]
        order = np.argsort(ends)
        if self.symmetric and m:
            order %= m  # an entry of the second half is the col end of the tie at that position minus m
        starts = np.zeros(self.n_people + 1, np.intp)
        np.cumsum(np.bincount(ends, minlength=self.n_people), out=starts[1:])
        self._by_person = order, starts, m

    def _compact(self) -> None:
        keep = self.active_index()
        k = keep.size
        for name, _dtype in self._FIELDS:
            arr = getattr(self, name)
            arr[:k] = arr[keep]
        self.m = k
        self._by_person = None  # positions moved

    def active_index(self) -> np.ndarray:
        """Positions of active ties."""
        return self.active.view(np.bool_).nonzero()[0]


def degree_counts(degree: np.ndarray) -> np.ndarray:
    """Number of people with each degree 0, 1, 2, ... among ``degree`` (cheap when most degrees are 0)."""
    positive = degree[degree > 0]
    counts = np.bincount(positive, minlength=1)
    counts[0] = degree.size - positive.size
    return counts


def loss_thresholds(streams: RandomStreams, tie_type: str, people: np.ndarray, week: int,
                    ordinal: np.ndarray | None = None) -> np.ndarray:
    """Exp(1) loss thresholds keyed by (tie type, person, week made, ordinal among that person's new ties)."""
    return exp1_from_uniform(streams.keyed_uniform(f"{tie_type}_tie_loss", week, tie_keys(people, ordinal)))


def tie_keys(people: np.ndarray, ordinal: np.ndarray | None = None) -> np.ndarray:
    """Key of each new tie among the ties made in one week: (person, ordinal among that person's new ties)."""
    return people.astype(np.int64) * 64 + (0 if ordinal is None else ordinal)


def exp1_from_uniform(u: np.ndarray) -> np.ndarray:
    """Exp(1) variates from uniforms on [0, 1) (inverse transform)."""
    return -np.log1p(-u)


def professional_ties(params, n: int, rng: np.random.Generator) -> TieMatrix:
    """One professional tie each, to one of ``levers.professionals_per_1000`` per 1,000 people, drawn by ``rng``."""
    n_prof = max(1, round(n * params.levers.professionals_per_1000 / 1000))
    return TieMatrix(n, n_prof, np.arange(n, dtype=np.int32), rng.integers(0, n_prof, n).astype(np.int32))


class RelationshipNetwork:
    """The four tie types of every person."""

    def __init__(self, n_people: int, ties: dict[str, TieMatrix]):
        self.n_people = n_people
        self.ties = ties

    @classmethod
    def create(cls, params, streams: RandomStreams, schizophrenia: np.ndarray) -> RelationshipNetwork:
        """Initial ties of one run: family (Poisson), one professional each, community thinned by thin_networks.

        ``schizophrenia`` (one flag per person) marks the community ties whose loss follows the stigma-raised
        social exclusion.
        """
        n = params.population.size
        rng = streams["network_init"]
        family_mean, comm_mean = initial_tie_means(params, params.roots.thin_networks)
        family_n = rng.poisson(family_mean, n)
        family_rows = np.repeat(np.arange(n, dtype=np.int32), family_n)
        family = TieMatrix(n, family_rows.size, family_rows, np.arange(family_rows.size, dtype=np.int32))
        prof = professional_ties(params, n, rng)
        comm_n = rng.poisson(comm_mean, n)
        comm_rows = np.repeat(np.arange(n, dtype=np.int32), comm_n)
        ordinal = np.arange(comm_rows.size) - np.repeat(np.cumsum(comm_n) - comm_n, comm_n)
        community = TieMatrix(n, comm_rows.size, comm_rows, np.arange(comm_rows.size, dtype=np.int32),
                              loss_thresholds(streams, "community", comm_rows, 0, ordinal),
                              flags=schizophrenia[comm_rows])
        peer = TieMatrix(n, n, np.zeros(0, np.int32), np.zeros(0, np.int32), symmetric=True)
        return cls(n, {"family": family, "professional": prof, "peer": peer, "community": community})

    @classmethod
    def stack(cls, runs: list[RelationshipNetwork]) -> RelationshipNetwork:
        """The networks of several runs (each of the same size, each of one run) as one.

        Run r's people and alters follow run r-1's, and each tie's hazard key gains its run (``2 * run + flag``
        for community ties). Live ties keep their thresholds and accumulated hazards (a spun-up network, as
        ``spin_up.StatusQuo`` holds); removed ties are left out.
        """
        if len(runs) == 1:
            return runs[0]
        n, total = runs[0].n_people, runs[0].n_people * len(runs)
        ties = {}
        for tie_type, first in runs[0].ties.items():
            parts = [net.ties[tie_type].live_fields() for net in runs]  # (row, col, flag, threshold, accumulated)
            col_offsets = np.cumsum([0] + [net.ties[tie_type].n_alters for net in runs[:-1]])
            rows = np.concatenate([p[0] + r * n for r, p in enumerate(parts)]).astype(np.int32)
            offsets = np.arange(len(runs)) * n if first.symmetric else col_offsets
            cols = np.concatenate([p[1] + off for p, off in zip(parts, offsets, strict=True)]).astype(np.int32)
            if tie_type == "community":
                flags = np.concatenate([hazard_key(r, p[2]) for r, p in enumerate(parts)])
            else:
                flags = np.concatenate([p[2] + r for r, p in enumerate(parts)])
            stacked = TieMatrix(total, total if first.symmetric else int(sum(net.ties[tie_type].n_alters
                                                                             for net in runs)),
                                rows, cols, np.concatenate([p[3] for p in parts]), symmetric=first.symmetric,
                                flags=flags, run_size=n)
            stacked._accumulated[: stacked.m] = np.concatenate([p[4] for p in parts])
            ties[tie_type] = stacked
        return cls(total, ties)

    def degree(self, tie_type: str) -> np.ndarray:
        """Active ties per person of one type (peer ties count for both ends)."""
        return self.ties[tie_type].degree

    def peer_neighbour_sum(self, values: np.ndarray, who: np.ndarray | None = None) -> np.ndarray:
        """Sum of ``values`` over each person's peers (the symmetric peer matrix times ``values``), or ``who``'s.

        ``who`` must be sorted (as ``nonzero`` gives). For a few people only the ties that touch them are summed;
        with 0/1 values every sum is an exact small integer, so the order of summation does not matter.
        """
        tm = self.ties["peer"]
        if who is None:
            out = np.zeros(self.n_people)
            if tm.m:
                w = tm.active.astype(np.float64)
                out += np.bincount(tm.row, weights=w * values.take(tm.col), minlength=self.n_people)
                out += np.bincount(tm.col, weights=w * values.take(tm.row), minlength=self.n_people)
            return out
        out = np.zeros(who.size)
        if tm.m:
            chosen = np.zeros(self.n_people, bool)
            chosen[who] = True
            live = tm.active.view(np.bool_)
            # take() with the int32 tie indices is several times faster than fancy indexing.
            for me, them in ((tm.row, tm.col), (tm.col, tm.row)):
                hit = (chosen.take(me) & live).nonzero()[0]
                out += np.bincount(np.searchsorted(who, me.take(hit)), weights=values.take(them.take(hit)),
                                   minlength=who.size)
        return out

    def add_peer_ties(self, people: np.ndarray, partners: np.ndarray, thresholds: np.ndarray,
                      run: np.ndarray) -> None:
        """Join each person to a partner of the same run (``run``: theirs; no self-ties)."""
        ok = people != partners
        self.ties["peer"].add(people[ok].astype(np.int32), partners[ok].astype(np.int32), thresholds[ok], run[ok])

    def add_community_ties(self, people: np.ndarray, thresholds: np.ndarray, flags: np.ndarray) -> None:
        """Give each listed person one new community tie to a new alter (flags: their hazard keys)."""
        community = self.ties["community"]
        start = community.n_alters  # every community tie has its own alter, numbered in order
        community.add(people.astype(np.int32), np.arange(start, start + people.size, dtype=np.int32), thresholds,
                      flags)

    def renew(self, places: np.ndarray, family: np.ndarray, community: np.ndarray, community_thresholds: np.ndarray,
              community_flags: np.ndarray) -> None:
        """New occupants of ``places``: all ties of the old ones end, and the new ones get ties to new alters.

        New occupant i gets ``family[i]`` family ties and ``community[i]`` community ties (with their loss
        thresholds and hazard keys). The professional tie stays: it belongs to the place (the team that serves
        it), not to the person.
        """
        if places.size == 0:
            return
        for tie_type in ("family", "community", "peer"):
            self.ties[tie_type].remove_people(places)
        fam = self.ties["family"]
        rows = np.repeat(places, family).astype(np.int32)
        fam.add(rows, np.arange(fam.n_alters, fam.n_alters + rows.size, dtype=np.int32), np.full(rows.size, np.inf))
        self.add_community_ties(np.repeat(places, community), community_thresholds, community_flags)

    def as_sparse(self, tie_type: str) -> sp.coo_array:
        """One tie type as a scipy sparse person-by-alter array."""
        return self.ties[tie_type].as_sparse()


def initial_tie_means(params, thin_networks):
    """Mean family and community ties of a person entering services (community ties thinned by thin_networks)."""
    return params.population.family_ties_mean, params.network.community_ties_mean * (1 - thin_networks)


def hazard_key(run: np.ndarray, flag: np.ndarray) -> np.ndarray:
    """Key of a community tie's loss hazard: (run, schizophrenia flag) as ``2 * run + flag`` (``TieMatrix.flag``)."""
    return 2 * run + flag


@dataclass(slots=True)
class TieDraws:
    """Who may make ties this week and the keyed draws of the new ties.

    ``seekers`` look for a peer tie (``partner``: their uniform for the choice, ``peer_tie_loss``: the new tie's
    loss threshold draw), ``gain`` make a community tie (``community_tie_loss``).
    """

    seekers: np.ndarray
    gain: np.ndarray
    partner: np.ndarray
    peer_tie_loss: np.ndarray
    community_tie_loss: np.ndarray


@dataclass(slots=True)
class TieEvents:
    """New peer ties and community ties lost this week (counts over every run)."""

    new_peer_ties: int
    community_ties_lost: int


def draw_ties(pop, w, social_exclusion: np.ndarray, peer_availability: np.ndarray, streams,
              week: int) -> TieDraws:
    """Who seeks a peer tie and who gains a community tie this week, and the draws of their new ties.

    Every person draws one uniform per process per week; only those below their run's highest probability can
    act, so only they are examined. ``social_exclusion`` is the felt level (without, with) a schizophrenia
    diagnosis in each run, shape (runs, 2); ``peer_availability`` one value per run; ``w`` the ``[network]``
    section.
    """
    p_seek = -np.expm1(-w.peer_tie_formation_rate * peer_availability / WEEKS_PER_YEAR)
    seekers, u = streams.uniform_below("peer_ties", p_seek)
    seekers = seekers[(u < of_runs(p_seek, pop.run_of(seekers))) & ~pop.in_hospital[seekers]]
    # Community ties: people in control or reunion make new ones unless excluded.
    p_gain = -np.expm1(-(community_tie_gain_rate(w) * (1 - social_exclusion)))
    gain, u = streams.uniform_below("community_ties", p_gain.max(axis=1).astype(np.float64))
    keep = ~pop.in_hospital[gain] & (pop.stage[gain] >= CONTROL)
    gain, u = gain[keep], u[keep]
    gain = gain[u < p_gain.reshape(-1).take(hazard_key(pop.run_of(gain), pop.schizophrenia[gain].view(np.int8)))]
    # The keyed draws of the new ties (partner choice, loss thresholds), hashed in one pass.
    local_seekers = streams.local(seekers)
    pick, u_peer_loss, u_community_loss = streams.keyed_uniform_groups(
        ("peer_partner", "peer_tie_loss", "community_tie_loss"), week, (seekers, seekers, gain),
        (local_seekers, tie_keys(local_seekers), tie_keys(streams.local(gain))))
    return TieDraws(seekers, gain, pick, u_peer_loss, u_community_loss)


@derived
def community_tie_gain_rate(w) -> np.ndarray:
    """Weekly hazard of a new community tie without exclusion, shape (runs, 1)."""
    return (w.community_tie_formation_rate / WEEKS_PER_YEAR).astype(REAL)[:, None]


@derived
def peer_tie_loss_rate(w) -> np.ndarray:
    """Weekly hazard that a peer tie lapses, by run."""
    return w.peer_tie_loss_rate / WEEKS_PER_YEAR


@derived
def community_tie_loss_rate(w) -> np.ndarray:
    """Weekly hazard that full exclusion drops a community tie, shape (runs, 1)."""
    return (w.community_tie_loss_rate / WEEKS_PER_YEAR).astype(REAL)[:, None]


def update_ties(pop, net: RelationshipNetwork, w, social_exclusion: np.ndarray, draws: TieDraws) -> TieEvents:
    """Weekly tie dynamics: the seekers make peer ties, exclusion drops community ties, the gainers make new ones.

    Peer partners are peer workers or people at least in control (role models), in the community, of the seeker's
    own run. ``social_exclusion`` and ``w`` as for ``draw_ties``.
    """
    partners = (~pop.in_hospital & ((pop.stage >= CONTROL) | pop.peer_worker)).nonzero()[0]
    seekers, gain = draws.seekers, draws.gain
    new_peer = 0
    if partners.size and seekers.size:
        # Each seeker picks among the partners of their own run (partners are sorted, so each run's are together).
        # Partners are sorted, so each run's count follows from where its first person would go.
        per_run = np.diff(np.searchsorted(partners, np.arange(pop.runs + 1) * pop.run_size))
        first = np.cumsum(per_run) - per_run
        run = pop.run_of(seekers)
        if pop.runs == 1:
            can, available = np.arange(seekers.size), per_run
        else:
            can = (per_run.take(run) > 0).nonzero()[0]
            available = per_run.take(run[can])
        chosen = partners[of_runs(first, run[can]) + (draws.partner[can] * available).astype(np.int64)]
        before = net.ties["peer"].m
        net.add_peer_ties(seekers[can], chosen, exp1_from_uniform(draws.peer_tie_loss[can]), run[can])
        new_peer = net.ties["peer"].m - before
    net.ties["peer"].accumulate(peer_tie_loss_rate(w))
    net.add_community_ties(gain, exp1_from_uniform(draws.community_tie_loss),
                           hazard_key(pop.run_of(gain), pop.schizophrenia[gain]))
    lost = net.ties["community"].accumulate((community_tie_loss_rate(w) * social_exclusion).reshape(-1))
    return TieEvents(new_peer, lost.size)
