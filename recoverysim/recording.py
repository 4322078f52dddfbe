"""Recording one week: the typed record of what the rules returned, the ledger of stays, the weekly table.

No rule writes a record; ``RecoveryModel.step`` hands the events the rules returned to ``record_week``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recoverysim import hospital
from recoverysim.barriers import BARRIER_NAMES, barrier_means
from recoverysim.codes import COMMUNITY, INVOLUNTARY, VOLUNTARY
from recoverysim.crisis_pathway import CrisisOutcome
from recoverysim.hospital import Discharges
from recoverysim.parameters import STAGES, WEEKS_PER_YEAR
from recoverysim.peer_workforce import PeerEvents
from recoverysim.recovery_stages import StageMoves
from recoverysim.relationship_network import TieEvents
from recoverysim.service_turnover import TurnoverEvents, identity

#: Flows recorded each week (zero in the initial row).
ZERO_FLOWS = ("crises", "community_support", "admissions_voluntary", "admissions_involuntary", "bed_shortage",
              "admitted_over_capacity", "discharged_early", "unmet_crises", "deaths", "deaths_in_hospital",
              "left_services", "coercive_episodes", "coercive_episodes_in_stay", "restraint_episodes",
              "retraumatisations", "discharges", "restraint_hours", "seclusion_hours")
_BARRIER_COLUMNS = tuple(f"barrier_{b}" for b in BARRIER_NAMES)


@dataclass(slots=True)
class WeekEvents:
    """Everything the rules returned in one week (person indices of the batch)."""

    discharges: Discharges
    crisis: CrisisOutcome
    stage_moves: StageMoves
    peers: PeerEvents
    ties: TieEvents | None  # None when the network is off
    turnover: TurnoverEvents | None  # None in a closed cohort (turnover.enabled false)

    def __getitem__(self, key: str) -> np.ndarray:
        """An array by its name in the earlier ``week_events`` dict, for the readers of that dict.

        The names: ``discharged``, ``discharged_early``, ``crises``, ``response``, ``coerced``, ``restraint``,
        ``episode_hours``, ``retraumatised``.
        """
        if key == "discharged":
            return self.discharges.leaving
        if key == "discharged_early":
            return self.crisis.discharged_early.leaving
        return getattr(self.crisis, _CRISIS_KEYS[key])


_CRISIS_KEYS = {"crises": "crises", "response": "response", "coerced": "coerced", "restraint": "restraint",
                "episode_hours": "episode_hours", "retraumatised": "retraumatised"}


def record_ledger(ledger, pop, week: int, events: WeekEvents) -> None:
    """Append the week's discharges, admissions and deaths in hospital to the ledger of stays.

    Called after the week's turnover: the identities of people still in their places are read now, those of
    inpatients who died were kept in their events.
    """
    a, t = events.crisis.admissions, events.turnover
    # A place taken this week held someone else at discharge or admission: the previous generation.
    for d in (events.discharges, events.crisis.discharged_early):
        ledger.discharge(d.leaving, identity(pop, d.leaving) - _replaced(pop, d.leaving, t), d.admitted_week, week,
                         d.prevalent)
    ledger.admit(a.people, identity(pop, a.people) - _replaced(pop, a.people, t), week, a.involuntary)
    if t is not None:
        ledger.discharge(t.died_in_hospital, t.identity, t.admitted_week, week, t.prevalent, died=True)


def _replaced(pop, places: np.ndarray, turnover: TurnoverEvents | None) -> np.ndarray:
    """``run_size`` for the ``places`` taken by a new service user this week, else 0 (identity correction)."""
    if turnover is None or places.size == 0:
        return np.zeros(places.size, np.int64)
    return np.isin(places, turnover.entered) * np.int64(pop.run_size)


def flows(pop, events: WeekEvents) -> dict[str, np.ndarray]:
    """The week's flows by run (``ZERO_FLOWS``) from its events."""
    runs, outcome = pop.runs, events.crisis
    response = outcome.response
    crisis_run = pop.run_of(outcome.crises)
    coerced_run = pop.run_of(outcome.coerced)
    restraint_run = coerced_run[outcome.restraint]
    early = np.bincount(pop.run_of(outcome.discharged_early.leaving), minlength=runs)
    return {
        "crises": np.bincount(crisis_run, minlength=runs),
        "community_support": np.bincount(crisis_run[response == COMMUNITY], minlength=runs),
        "admissions_voluntary": np.bincount(crisis_run[response == VOLUNTARY], minlength=runs),
        "admissions_involuntary": np.bincount(crisis_run[response == INVOLUNTARY], minlength=runs),
        "bed_shortage": outcome.bed_shortage,
        "coercive_episodes": np.bincount(coerced_run, minlength=runs),
        "coercive_episodes_in_stay": outcome.coerced_in_stay,
        "restraint_episodes": np.bincount(restraint_run, minlength=runs),
        "retraumatisations": np.bincount(pop.run_of(outcome.retraumatised), minlength=runs),
        "discharges": np.bincount(pop.run_of(events.discharges.leaving), minlength=runs) + early,
        "admitted_over_capacity": outcome.over_capacity,
        "discharged_early": early,
        "unmet_crises": np.bincount(pop.run_of(outcome.unmet), minlength=runs),
        **turnover_flows(pop, events.turnover),
        "restraint_hours": sum_by_run(outcome.episode_hours[outcome.restraint], restraint_run, runs),
        "seclusion_hours": sum_by_run(outcome.episode_hours[~outcome.restraint], coerced_run[~outcome.restraint],
                                      runs),
    }


def turnover_flows(pop, turnover: TurnoverEvents | None) -> dict[str, np.ndarray]:
    """Deaths (all, and in hospital) and people leaving services this week, by run."""
    if turnover is None:
        return {k: np.zeros(pop.runs, np.int64) for k in ("deaths", "deaths_in_hospital", "left_services")}
    return {"deaths": np.bincount(pop.run_of(turnover.died), minlength=pop.runs),
            "deaths_in_hospital": np.bincount(pop.run_of(turnover.died_in_hospital), minlength=pop.runs),
            "left_services": np.bincount(pop.run_of(turnover.left), minlength=pop.runs)}


def zero_flows(runs: int) -> dict[str, np.ndarray]:
    """The flows of the initial row (nothing has happened yet)."""
    return {flow: np.zeros(runs) for flow in ZERO_FLOWS}


def sum_by_run(values: np.ndarray, run: np.ndarray, runs: int) -> np.ndarray:
    """Sum of ``values`` within each run (each run's values summed as numpy sums them alone)."""
    if runs == 1:
        return np.array([np.add.reduce(values)])
    return np.array([np.add.reduce(values[run == r]) for r in range(runs)])


def mean_barriers(pop, network, params, state, record: bool) -> np.ndarray:
    """Each run's mean felt level of each barrier, shape (runs, 8) (NaN when not recorded)."""
    if not record:
        return np.full((pop.runs, len(BARRIER_NAMES)), np.nan)
    return barrier_means(state.barriers, state.two_valued, pop, params.barriers, state.levers.peer_availability,
                         network.degree("peer"))


def record_week(recorder, week: int, pop, network, state, means: np.ndarray, week_flows: dict) -> None:
    """Write one week's row of every run.

    Stocks come from the population and network, levels from ``state``, then the barrier means and the flows.
    """
    counts = pop.stage_counts_by_run()
    values = {stage: counts[:, s] for s, stage in enumerate(STAGES)}
    values.update(
        in_hospital=pop.count_by_run(pop.in_hospital),
        peer_workers=pop.count_by_run(pop.peer_worker),
        peer_ties=network.ties["peer"].active_by_run,
        community_ties=network.ties["community"].active_by_run,
        peer_availability=state.levers.peer_availability,
        shame_pressure=state.roots.shame_pressure,
        # as .mean(), without its wrapper
        mean_trauma_load=np.add.reduce(pop.by_run(pop.trauma_load), axis=1) / pop.run_size,
        mean_service_mistrust=np.add.reduce(pop.by_run(pop.service_mistrust), axis=1) / pop.run_size,
        beds=hospital.beds(state.levers.bed_capacity, pop.run_size),
        inpatients_aged_65_plus=pop.count_by_run(pop.in_hospital & (pop.age >= 65)),
        # Stays begun in the spin-up have negative admission weeks on the same clock, so the length is exact.
        inpatients_staying_1_year_plus=pop.count_by_run(pop.in_hospital
                                                        & (pop.admitted_week <= state.week - WEEKS_PER_YEAR)),
    )
    values.update(zip(_BARRIER_COLUMNS, means.T, strict=True))
    values.update(week_flows)
    recorder.record(week, values)
