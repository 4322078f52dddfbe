"""What the model reports: per-week counts, hospital event records, and the headline outcomes of a run."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recoverysim.barriers import BARRIER_NAMES
from recoverysim.costs import COMPONENTS, cost_outcomes
from recoverysim.parameters import DAYS_PER_WEEK, STAGES, WEEKS_PER_YEAR

COUNT_COLUMNS = (
    *STAGES,
    "in_hospital",
    "crises",
    "community_support",
    "admissions_voluntary",
    "admissions_involuntary",
    "bed_shortage",
    "admitted_over_capacity",
    "discharged_early",
    "unmet_crises",
    "coercive_episodes",
    "coercive_episodes_in_stay",
    "restraint_episodes",
    "retraumatisations",
    "discharges",
    "peer_workers",
    "peer_ties",
    "community_ties",
    "deaths",
    "deaths_in_hospital",
    "left_services",
    "beds",
    "inpatients_aged_65_plus",
    "inpatients_staying_1_year_plus",
)
LEVEL_COLUMNS = (
    "restraint_hours",
    "seclusion_hours",
    "peer_availability",
    "shame_pressure",
    "mean_trauma_load",
    "mean_service_mistrust",
    *(f"barrier_{b}" for b in BARRIER_NAMES),
)
COLUMNS = ("week", *COUNT_COLUMNS, *LEVEL_COLUMNS)
#: Outcomes computed by ``recoverysim.costs.cost_outcomes`` (NaN when no scenario is given).
COST_OUTCOMES = ("reform_cost_per_year", "cost_total", "cost_per_person_year",
                 *(f"cost_{c}_per_person_year" for c in COMPONENTS))


class Ledger:
    """Admission and discharge records, appended week by week (for stays and readmissions).

    Each record keeps the place (person index in the batch, which gives the run) and the identity of the person
    in it (``service_turnover.identity``: places are reused when people leave services); ``admissions(run)`` and
    ``discharges(run)`` give one run's records with ``person`` the identity. A stay ended by death is a discharge
    with ``died`` set.
    """

    def __init__(self, run_size: int | None = None):
        self.run_size = run_size
        self._adm: list[tuple[np.ndarray, ...]] = []
        self._dis: list[tuple[np.ndarray, ...]] = []

    def admit(self, places: np.ndarray, identity: np.ndarray, week: int, involuntary: np.ndarray) -> None:
        """Record admissions in ``week``."""
        if places.size:
            self._adm.append((places.copy(), identity.copy(), np.full(places.size, week, np.int32),
                              involuntary.copy()))

    def discharge(self, places, identity, admitted_week, week: int, prevalent, died: bool = False) -> None:
        """Record discharges (or, with ``died``, deaths in hospital) in ``week``."""
        if places.size:
            self._dis.append((places.copy(), identity.copy(), admitted_week.copy(),
                              np.full(places.size, week, np.int32), prevalent.copy(), np.full(places.size, died)))

    def admissions(self, run: int = 0) -> pd.DataFrame:
        """person, week, involuntary (of run ``run``)."""
        return self._of_run(_frame(self._adm, ("place", "person", "week", "involuntary"),
                                   (np.int64, np.int64, np.int32, bool)), run)

    def discharges(self, run: int = 0) -> pd.DataFrame:
        """person, admitted_week, week, prevalent (stay began before week 0), died (in hospital), of run ``run``."""
        return self._of_run(_frame(self._dis, ("place", "person", "admitted_week", "week", "prevalent", "died"),
                                   (np.int64, np.int64, np.int32, np.int32, bool, bool)), run)

    def _of_run(self, frame: pd.DataFrame, run: int) -> pd.DataFrame:
        place = frame.pop("place").to_numpy()
        if self.run_size is None:
            return frame
        mine = place // self.run_size == run
        return frame if mine.all() else frame[mine].reset_index(drop=True)


class Cohort:
    """The people in services at week 0, followed until they leave services.

    It keeps when each reached each stage and how long each was followed (the horizon, or the week they died
    or left services).
    """

    def __init__(self, pop):
        self._reached = np.full_like(pop.reached_week, -1)
        self._left = np.full(pop.size, np.iinfo(np.int32).max, np.int32)

    def leave(self, pop, places: np.ndarray, week: int) -> None:
        """Keep the record of the cohort members among the people leaving ``places`` in ``week``."""
        members = places[pop.generation.take(places) == 0]
        self._reached[members] = pop.reached_week[members]
        self._left[members] = week

    def reached(self, pop, mine: slice, week: int) -> tuple[np.ndarray, np.ndarray]:
        """First week each stage was reached (-1 never) and the last week followed, of the places ``mine``."""
        here = pop.generation[mine] == 0
        reached = np.where(here[:, None], pop.reached_week[mine], self._reached[mine])
        return reached, np.minimum(np.where(here, week, self._left[mine]), week)


def _frame(chunks, names, dtypes) -> pd.DataFrame:
    if not chunks:
        return pd.DataFrame({n: np.zeros(0, d) for n, d in zip(names, dtypes, strict=True)})
    cols = [np.concatenate(c) for c in zip(*chunks, strict=True)]
    return pd.DataFrame(dict(zip(names, cols, strict=True)))


class Recorder:
    """One row per run and week (row 0 is the initial state), preallocated: shape (runs, weeks + 1, columns)."""

    def __init__(self, weeks: int, runs: int = 1):
        self.table = np.zeros((runs, weeks + 1, len(COLUMNS)))
        self.index = {c: i for i, c in enumerate(COLUMNS)}
        self._positions: dict[tuple[str, ...], np.ndarray] = {}

    def record(self, week: int, values: dict[str, np.ndarray | float]) -> None:
        """Store the values of one week, each one value per run; every column but ``week`` must be named."""
        keys = tuple(values)
        positions = self._positions.get(keys)
        if positions is None:  # the same columns come every week: check them and look their positions up once
            missing, unknown = set(COLUMNS[1:]) - set(keys), set(keys) - set(COLUMNS[1:])
            if missing or unknown:
                raise ValueError(f"recorded columns do not match metrics.COLUMNS: missing {sorted(missing)}, "
                                 f"unknown {sorted(unknown)}")
            positions = self._positions[keys] = np.array([self.index[k] for k in keys], np.intp)
        rows = self.table[:, week]
        rows[:, 0] = week
        if rows.shape[0] == 1:
            # One value per run: the array's only element (a type test, much cheaper than np.ndim per value).
            rows[0, positions] = [v[0] if type(v) is np.ndarray else v for v in values.values()]
        else:
            rows[:, positions] = np.array(list(values.values()), np.float64).T

    def frame(self, weeks_done: int, run: int = 0) -> pd.DataFrame:
        """Rows of run ``run`` for weeks 0..weeks_done as a DataFrame."""
        df = pd.DataFrame(self.table[run, : weeks_done + 1], columns=COLUMNS)
        ints = ["week", *COUNT_COLUMNS]
        df[ints] = df[ints].astype(np.int64)
        return df


def within(durations_days: np.ndarray, followed_days: np.ndarray, limit_days: float) -> float:
    """Share of records with at least ``limit_days`` of follow-up whose duration is within the limit."""
    eligible = followed_days >= limit_days
    if not eligible.any():
        return float("nan")
    return float(np.mean(durations_days[eligible] <= limit_days))


def readmission_days(admissions: pd.DataFrame, discharges: pd.DataFrame) -> np.ndarray:
    """Days from each discharge to the same person's next admission (inf if none in the run)."""
    out = np.full(len(discharges), np.inf)
    if len(discharges) == 0 or len(admissions) == 0:
        return out
    adm = admissions.sort_values(["person", "week"])
    adm_key = adm["person"].to_numpy() * 10**7 + adm["week"].to_numpy()
    dis_key = discharges["person"].to_numpy() * 10**7 + discharges["week"].to_numpy()
    # First admission in or after the discharge week: a stay's own admission is always in an earlier week.
    pos = np.searchsorted(adm_key, dis_key, side="left")
    ok = pos < len(adm_key)
    next_person = np.where(ok, adm["person"].to_numpy()[np.minimum(pos, len(adm_key) - 1)], -1)
    same = ok & (next_person == discharges["person"].to_numpy())
    next_week = adm["week"].to_numpy()[np.minimum(pos, len(adm_key) - 1)]
    out[same] = (next_week[same] - discharges["week"].to_numpy()[same]) * DAYS_PER_WEEK
    return out


def time_to_stage(reached_week: np.ndarray, initial_stage: np.ndarray, stage: int, weeks: int,
                  followed: np.ndarray | None = None):
    """Weeks until first reaching ``stage`` for those who started below it, and whether they did.

    Those who did not are censored at the last week they were followed (``followed``; default the horizon).
    """
    at_risk = initial_stage < stage
    t = reached_week[at_risk, stage].astype(np.float64)
    event = t >= 0
    t[~event] = weeks if followed is None else followed[at_risk][~event]
    return t, event


def survival_curve(t: np.ndarray, event: np.ndarray, weeks: int) -> np.ndarray:
    """Kaplan-Meier share not yet reached at the end of each week 0..weeks (censored at ``t`` where no event).

    Someone censored in week k was still at risk in week k. With no censoring before the horizon this is
    1 - ECDF of the event weeks.
    """
    if t.size == 0:
        return np.ones(weeks + 1)
    hits = np.bincount(t[event].astype(np.int64), minlength=weeks + 1)[: weeks + 1]
    leaving = np.bincount(np.minimum(t, weeks).astype(np.int64), minlength=weeks + 1)[: weeks + 1]
    at_risk = t.size - np.concatenate([[0], np.cumsum(leaving)[:-1]])
    return np.cumprod(1 - np.divide(hits, at_risk, out=np.zeros(weeks + 1), where=at_risk > 0))


def restricted_mean(surv: np.ndarray, weeks: int) -> float:
    """Restricted mean time (weeks) to the event within ``weeks``: the area under the survival curve.

    ``surv[k]`` is the share not yet reached at the end of week k, i.e. P(T > k) for an event week T >= 1, so
    the sum over k < weeks is E[min(T, weeks)] (for whole weeks, exactly).
    """
    return float(np.sum(surv[:weeks]))


def headline(ts: pd.DataFrame, admissions: pd.DataFrame, discharges: pd.DataFrame, reached_week: np.ndarray,
             initial_stage: np.ndarray, size: int, followed: np.ndarray | None = None,
             scenario=None) -> dict[str, float]:
    """Every outcome in ``recoverysim.outcomes.OUTCOMES`` for one replicate.

    ``reached_week``, ``initial_stage`` and ``followed`` describe the week-0 cohort (``Cohort.reached``). The
    cost outcomes (``recoverysim.costs``) need the run's ``scenario``; without it they are NaN.
    """
    weeks = int(ts["week"].iloc[-1])
    last = ts.iloc[-1]
    person_years = size * weeks / WEEKS_PER_YEAR
    flows = ts.iloc[1:]
    per_1000py = 1000 / person_years if person_years else float("nan")
    out = {f"share_{s}_end": float(last[s]) / size for s in STAGES}
    t, event = time_to_stage(reached_week, initial_stage, STAGES.index("reunion"), weeks, followed)
    surv = survival_curve(t, event, weeks)
    below_half = np.flatnonzero(surv <= 0.5)
    out["median_years_to_reunion"] = (below_half[0] if below_half.size else weeks) / WEEKS_PER_YEAR
    out["restricted_mean_years_to_reunion"] = restricted_mean(surv, weeks) / WEEKS_PER_YEAR
    n_adm = int(flows["admissions_voluntary"].sum() + flows["admissions_involuntary"].sum())
    out["crises_per_1000_person_years"] = flows["crises"].sum() * per_1000py
    out["admissions_per_1000_person_years"] = n_adm * per_1000py
    out["involuntary_share_of_admissions"] = (flows["admissions_involuntary"].sum() / n_adm) if n_adm else 0.0
    out["coercive_episodes_per_1000_person_years"] = flows["coercive_episodes"].sum() * per_1000py
    out["retraumatisations_per_1000_person_years"] = flows["retraumatisations"].sum() * per_1000py
    days = weeks * DAYS_PER_WEEK
    out["restraint_per_million_per_day"] = flows["restraint_hours"].sum() / 24 / (size * days) * 1e6
    out["bed_days_per_person_year"] = flows["in_hospital"].sum() * DAYS_PER_WEEK / person_years
    beds = flows["beds"].to_numpy()
    out["bed_occupancy"] = (float(np.mean(flows["in_hospital"].to_numpy() / beds)) if (beds > 0).all()
                            else float("nan"))
    # Admitted to a free bed, plus every crisis that found none (given a bed made by an early discharge,
    # admitted over capacity or left unmet).
    needing = (n_adm - flows["admitted_over_capacity"].sum() - flows["discharged_early"].sum()
               + flows["bed_shortage"].sum())
    out["admissions_turned_away_share"] = float(flows["bed_shortage"].sum() / needing) if needing else 0.0
    out["unmet_crises_per_1000_person_years"] = flows["unmet_crises"].sum() * per_1000py
    out["early_discharges_per_1000_person_years"] = flows["discharged_early"].sum() * per_1000py
    out["deaths_per_1000_person_years"] = flows["deaths"].sum() * per_1000py
    out["new_service_users_per_1000_per_year"] = (flows["deaths"].sum() + flows["left_services"].sum()) * per_1000py
    # Stays of admissions made during the run; stays still going at the end are censored at the horizon.
    stay = (discharges["week"] - discharges["admitted_week"]).to_numpy() * DAYS_PER_WEEK
    new = ~discharges["prevalent"].to_numpy()
    out["mean_length_of_stay_days"] = float(stay[new].mean()) if new.any() else float("nan")
    adm_week = admissions["week"].to_numpy()
    los = stay_of_admissions(admissions, discharges)
    followed = (weeks - adm_week) * DAYS_PER_WEEK
    out["discharged_within_90_days"] = within(los, followed, 90)
    out["discharged_within_365_days"] = within(los, followed, 365)
    alive = discharges[~discharges["died"].to_numpy()]
    readm = readmission_days(admissions, alive)
    followed_d = (weeks - alive["week"].to_numpy()) * DAYS_PER_WEEK
    for d in (90, 180, 365):
        out[f"readmitted_within_{d}_days"] = within(readm, followed_d, d)
    out["peer_workers_per_1000_end"] = float(last["peer_workers"]) * 1000 / size
    out.update(cost_outcomes(ts, scenario) if scenario is not None else dict.fromkeys(COST_OUTCOMES, np.nan))
    return {k: float(v) for k, v in out.items()}


def stay_of_admissions(admissions: pd.DataFrame, discharges: pd.DataFrame) -> np.ndarray:
    """Length in days of each admission's stay, in the order of ``admissions`` (inf if not discharged by the end).

    The one length of stay of an admission, used by the headline outcomes and by validation. A stay is
    matched to its admission by (person, admission week), which is unique because a person is admitted at most
    once a week; stays that began before the run (``prevalent``) have no
    admission record and are left out. The match is one sort and one binary search on an integer key
    (``person * 10**7 + week``, exact while runs are shorter than 10**7 weeks) rather than a table merge: it
    gives the same matches without building frames, and every admission keeps its position, so a share of
    admissions and its follow-up line up element by element.
    """
    los = np.full(len(admissions), np.inf)
    if len(admissions) == 0:
        return los
    new = discharges[~discharges["prevalent"].to_numpy()]
    key_a = admissions["person"].to_numpy() * 10**7 + admissions["week"].to_numpy()
    key_d = new["person"].to_numpy() * 10**7 + new["admitted_week"].to_numpy()
    order = np.argsort(key_d)
    pos = np.searchsorted(key_d[order], key_a)
    ok = pos < len(key_d)
    match = np.zeros(len(key_a), bool)
    match[ok] = key_d[order][pos[ok]] == key_a[ok]
    stay_d = (new["week"].to_numpy() - new["admitted_week"].to_numpy()) * DAYS_PER_WEEK
    los[match] = stay_d[order][pos[match]]
    return los
