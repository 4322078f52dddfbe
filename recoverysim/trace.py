"""``recoverysim trace``: one person's life in the model, told week by week where something happens.

The command steps a :class:`~recoverysim.model.RecoveryModel` itself and compares the watched people's rows of
``model.population`` and their network degrees before and after every step, together with
``model.week_events`` (discharges, crises and how each was answered, coercive measures, re-traumatisation).
Each week it also counts which barrier stood in front of each person (``barriers.limiting_barrier``). With
``--pick`` every person is watched in one run, the person who best fits the query is chosen (ties go to the
lowest index), and their story is told from the same run.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field

import numpy as np

from recoverysim.barriers import BARRIER_NAMES, limiting_barrier
from recoverysim.codes import DIAGNOSES
from recoverysim.crisis_pathway import RESPONSES
from recoverysim.errors import RecoverysimError
from recoverysim.model import RecoveryModel
from recoverysim.parameters import STAGES, WEEKS_PER_YEAR
from recoverysim.relationship_network import TIE_TYPES
from recoverysim.scenario import Scenario
from recoverysim.simulation import replicate_seed

#: Queries for ``--pick``: description of who is chosen.
PICKS = {
    "longest-in-hospital": "most weeks in hospital",
    "most-coerced": "most seclusion or restraint episodes",
    "most-crises": "most crises",
    "most-retraumatised": "most re-traumatisations",
    "reached-reunion": "reached reunion from the lowest starting stage, earliest",
    "longest-peer-worker": "most weeks of peer work",
    "never-progressed": "started below reunion and never moved up a stage, longest in discontinuity",
}
#: Order in which a week's events are told.
EVENT_ORDER = ("discharge", "crisis", "coercion", "retraumatised", "stage", "peer_ties", "community_ties",
               "peer_work", "died", "left_services")


@dataclass
class Observer:
    """Watches some people (indices) through a run: their events, weeks in hospital, limiting barriers.

    Events are stored per week and kind as arrays: (week, kind, positions in ``people``, columns).
    """

    people: np.ndarray
    chunks: list[tuple] = field(default_factory=list)

    def __post_init__(self) -> None:
        k = self.people.size
        self.barrier_weeks = np.zeros((k, len(BARRIER_NAMES)), np.int64)
        self.hospital_weeks = np.zeros(k, np.int64)
        self.peer_work_weeks = np.zeros(k, np.int64)
        self.discontinuity_weeks = np.zeros(k, np.int64)
        self.moved_up = np.zeros(k, bool)
        self.exit_week = np.full(k, -1, np.int64)  # the week the person died or left services (-1: still in)
        self._pos = np.full(0, -1)

    def position(self, ids: np.ndarray, n: int) -> np.ndarray:
        """Positions in ``people`` of the person indices ``ids`` (-1 if not watched)."""
        if self._pos.size != n:
            self._pos = np.full(n, -1)
            self._pos[self.people] = np.arange(self.people.size)
        return self._pos[ids]

    def snapshot(self, model: RecoveryModel) -> dict[str, np.ndarray]:
        """The watched people's state now."""
        pop, p = model.population, self.people
        return {"stage": pop.stage[p].copy(), "in_hospital": pop.in_hospital[p].copy(),
                "peer_worker": pop.peer_worker[p].copy(), "trauma_load": pop.trauma_load[p].copy(),
                "admitted_week": pop.admitted_week[p].copy(),
                "peer_ties": model.network.degree("peer")[p].copy(),
                "community_ties": model.network.degree("community")[p].copy()}

    def _add(self, week: int, kind: str, pos: np.ndarray, **columns) -> None:
        # Only people still in services: a place taken by a new service user tells someone else's story.
        here = self.exit_week[pos] < 0
        if not here.all():
            pos, columns = pos[here], {k: v[here] for k, v in columns.items()}
        if pos.size:
            self.chunks.append((week, kind, pos, columns))

    def count(self, kind: str) -> np.ndarray:
        """Events of one kind per watched person."""
        pos = [c[2] for c in self.chunks if c[1] == kind]
        return np.bincount(np.concatenate(pos), minlength=self.people.size) if pos else np.zeros(self.people.size)

    def events_of(self, position: int) -> list[tuple[int, str, dict]]:
        """(week, kind, values) of every event of the watched person at ``position``."""
        out = []
        for week, kind, pos, cols in self.chunks:
            for j in np.flatnonzero(pos == position):
                out.append((week, kind, {k: v[j].item() for k, v in cols.items()}))
        return out

    def observe(self, model: RecoveryModel, before: dict, after: dict) -> None:
        """Record what changed for the watched people in the week just stepped."""
        week, n, ev = model.week, model.population.size, model.week_events
        leavers = np.concatenate([ev["discharged"], ev["discharged_early"]])
        early = np.arange(leavers.size) >= ev["discharged"].size
        pos = self.position(leavers, n)
        ok = pos >= 0
        self._add(week, "discharge", pos[ok], weeks=week - before["admitted_week"][pos[ok]], early=early[ok])
        pos = self.position(ev["crises"], n)
        ok = pos >= 0
        self._add(week, "crisis", pos[ok], response=ev["response"][ok].astype(int))
        pos = self.position(ev["coerced"], n)
        ok = pos >= 0
        self._add(week, "coercion", pos[ok], restraint=ev["restraint"][ok], hours=ev["episode_hours"][ok])
        pos = self.position(ev["retraumatised"], n)
        ok = pos >= 0
        self._add(week, "retraumatised", pos[ok], trauma_before=before["trauma_load"][pos[ok]],
                  trauma_after=after["trauma_load"][pos[ok]])
        leaving = np.zeros(self.people.size, bool)
        if ev.turnover is not None:
            for kind, places in (("died", ev.turnover.died), ("left_services", ev.turnover.left)):
                pos = self.position(places, n)
                pos = pos[pos >= 0]
                self._add(week, kind, pos)
                leaving[pos] = True
        # The exit week's stage and ties after the step are the new occupant's: compare only those who stay.
        for key, kind in (("stage", "stage"), ("peer_ties", "peer_ties"), ("community_ties", "community_ties"),
                          ("peer_worker", "peer_work")):
            changed = np.flatnonzero((before[key] != after[key]) & ~leaving)
            self._add(week, kind, changed, before=before[key][changed], after=after[key][changed])
        self.exit_week[leaving & (self.exit_week < 0)] = week
        here = self.exit_week < 0
        self.moved_up |= (after["stage"] > before["stage"]) & here
        self.hospital_weeks += after["in_hospital"] & here
        self.peer_work_weeks += after["peer_worker"] & here
        self.discontinuity_weeks += (after["stage"] == 0) & here
        lb = limiting_barrier(model.barriers_of(self.people), after["stage"])
        held = np.flatnonzero((lb >= 0) & here)
        np.add.at(self.barrier_weeks, (held, lb[held]), 1)


def _state(model: RecoveryModel) -> dict[str, np.ndarray]:
    """Copies of everyone's state that a story's start and end describe."""
    pop = model.population
    out = {k: getattr(pop, k).copy() for k in ("stage", "in_hospital", "peer_worker", "trauma_load",
                                               "life_security", "medication_burden", "female", "diagnosis",
                                               "trauma_history")}
    out.update({f"ties_{t}": model.network.degree(t).copy() for t in TIE_TYPES})
    return out


def _profile(state: dict[str, np.ndarray], i: int) -> dict:
    return {"stage": STAGES[state["stage"][i]], "in_hospital": bool(state["in_hospital"][i]),
            "peer_worker": bool(state["peer_worker"][i]), "trauma_load": round(float(state["trauma_load"][i]), 3),
            "life_security": round(float(state["life_security"][i]), 3),
            "medication_burden": round(float(state["medication_burden"][i]), 3),
            "ties": {t: int(state[f"ties_{t}"][i]) for t in TIE_TYPES}}


def run_trace(scenario: Scenario, person: int | None = None, pick: str | None = None, seed: int | None = None,
              replicate: int = 0) -> dict:
    """Trace one person (by index, or chosen by ``pick``) through one replicate; returns plain data."""
    n = scenario["population.size"]
    if (person is None) == (pick is None):
        raise RecoverysimError("trace needs exactly one of --person ID or --pick QUERY")
    if person is not None and not 0 <= person < n:
        raise RecoverysimError(f"--person {person} is out of range: {scenario.name} has {n:,} people (0..{n - 1})")
    if pick is not None and pick not in PICKS:
        raise RecoverysimError(f"unknown --pick {pick!r}; choose one of: {', '.join(PICKS)}")
    root = int(scenario["run.seed"] if seed is None else seed)
    run_seed = replicate_seed(root, replicate)
    model = RecoveryModel(scenario, rng=run_seed)
    obs = Observer(np.arange(n) if pick else np.array([person]))
    initial = _state(model)
    before = obs.snapshot(model)
    while model.running:
        model.step()
        after = obs.snapshot(model)
        obs.observe(model, before, after)
        before = after
    pos = _choose(pick, obs, model, initial["stage"]) if pick else 0
    return _story(scenario, model, obs, pos, initial, root, run_seed, replicate, pick)


def _choose(pick: str, obs: Observer, model: RecoveryModel, start_stage: np.ndarray) -> int:
    """Position of the person who best fits ``pick`` (lowest index among ties)."""
    counts = {k: obs.count(k) for k in ("coercion", "crisis", "retraumatised")}
    score = {"longest-in-hospital": obs.hospital_weeks, "most-coerced": counts["coercion"],
             "most-crises": counts["crisis"], "most-retraumatised": counts["retraumatised"],
             "longest-peer-worker": obs.peer_work_weeks}.get(pick)
    if score is not None:
        if score.max() <= 0:
            raise RecoverysimError(f"--pick {pick}: nobody in this run fits ({PICKS[pick]}); try more people or years")
        return int(np.argmax(score))
    reached = model.cohort_reached(0)[0][:, STAGES.index("reunion")]  # the week-0 people, not their successors
    if pick == "reached-reunion":
        ok = np.flatnonzero((start_stage < STAGES.index("reunion")) & (reached > 0))
        if ok.size == 0:
            raise RecoverysimError("--pick reached-reunion: nobody reached reunion during this run")
        return int(ok[np.lexsort((ok, reached[ok], start_stage[ok]))[0]])
    ok = np.flatnonzero((start_stage < STAGES.index("reunion")) & ~obs.moved_up)
    if ok.size == 0:
        raise RecoverysimError("--pick never-progressed: everyone moved up at least once")
    return int(ok[np.lexsort((ok, -obs.discontinuity_weeks[ok]))[0]])


def _story(scenario, model, obs, pos, initial, root, run_seed, replicate, pick) -> dict:
    i = int(obs.people[pos])
    weeks: dict[int, list[dict]] = {}
    for week, kind, payload in obs.events_of(pos):
        weeks.setdefault(week, []).append({"type": kind, **payload})
    for items in weeks.values():
        items.sort(key=lambda e: EVENT_ORDER.index(e["type"]))
        for e in items:
            if e["type"] == "crisis":
                e["response"] = RESPONSES[e["response"]]
            elif e["type"] == "stage":
                e["before"], e["after"] = STAGES[e["before"]], STAGES[e["after"]]
            elif e["type"] == "coercion":
                e["measure"] = "restraint" if e.pop("restraint") else "seclusion"
                e["hours"] = round(e["hours"], 1)
            elif e["type"] == "retraumatised":
                e["trauma_before"], e["trauma_after"] = round(e["trauma_before"], 3), round(e["trauma_after"], 3)
    events = [e for items in weeks.values() for e in items]
    crises = [e["response"] for e in events if e["type"] == "crisis"]
    coercion = [e for e in events if e["type"] == "coercion"]
    barrier_weeks = {b: int(w) for b, w in zip(BARRIER_NAMES, obs.barrier_weeks[pos], strict=True) if w}
    reached = model.cohort_reached(0)[0][i]
    return {
        "scenario": scenario.name, "scenario_file": scenario.source, "root_seed": root, "replicate": replicate,
        "run_seed": run_seed, "population": scenario["population.size"], "years": scenario["run.years"],
        "person": i, "pick": pick, "pick_rule": PICKS.get(pick),
        "attributes": {"gender": "female" if initial["female"][i] else "male",
                       "diagnosis": DIAGNOSES[initial["diagnosis"][i]],
                       "trauma_history": bool(initial["trauma_history"][i])},
        "start": _profile(initial, i),
        "end": _profile(_state(model), i) if obs.exit_week[pos] < 0 else None,
        "exit_week": int(obs.exit_week[pos]) if obs.exit_week[pos] >= 0 else None,
        "weeks": [{"week": w, "time_years": round(w / WEEKS_PER_YEAR, 2), "events": weeks[w]} for w in sorted(weeks)],
        "summary": {
            "weeks_in_hospital": int(obs.hospital_weeks[pos]),
            "crises": {r: crises.count(r) for r in RESPONSES},
            "coercive_episodes": {m: {"count": sum(e["measure"] == m for e in coercion),
                                      "hours": round(sum(e["hours"] for e in coercion if e["measure"] == m), 1)}
                                  for m in ("restraint", "seclusion")},
            "retraumatisations": sum(e["type"] == "retraumatised" for e in events),
            "discharges": sum(e["type"] == "discharge" for e in events),
            "weeks_as_peer_worker": int(obs.peer_work_weeks[pos]),
            "first_reached": {s: int(reached[k]) for k, s in enumerate(STAGES) if reached[k] > 0},
        },
        "barrier_weeks": dict(sorted(barrier_weeks.items(), key=lambda kv: (-kv[1], kv[0]))),
        "held_back_longest_by": max(barrier_weeks, key=lambda b: (barrier_weeks[b], -BARRIER_NAMES.index(b)))
        if barrier_weeks else None,
    }


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _event_text(e: dict) -> str:
    t = e["type"]
    if t == "discharge":
        how = "discharged early, to free a bed," if e["early"] else "discharged"
        return f"{how} from hospital after {_n(e['weeks'], 'week')}"
    if t == "crisis":
        return {"community": "crisis, answered in the community", "voluntary": "crisis, voluntary admission",
                "involuntary": "crisis, involuntary admission"}[e["response"]]
    if t == "coercion":
        return f"{e['measure']} for {e['hours']:.0f} hours"
    if t == "retraumatised":
        return f"re-traumatised (trauma load {e['trauma_before']:.2f} -> {e['trauma_after']:.2f})"
    if t == "stage":
        return f"stage {e['before']} -> {e['after']}"
    if t == "peer_work":
        return "started peer work" if e["after"] else "stopped peer work"
    if t in ("died", "left_services"):
        return "died" if t == "died" else "left services"
    label = "peer" if t == "peer_ties" else "community"
    change = "new" if e["after"] > e["before"] else "lost"
    return f"{change} {label} tie ({e['before']} -> {e['after']})"


def format_text(story: dict) -> str:
    """The trace as plain text for a terminal."""
    a, s0, s1, summ = story["attributes"], story["start"], story["end"], story["summary"]
    ties = lambda d: ", ".join(f"{v} {k}" for k, v in d["ties"].items())  # noqa: E731
    how = f" (picked: {story['pick_rule']})" if story["pick"] else ""
    lines = [f"Person {story['person']}{how} in {story['scenario']}: {story['population']:,} people, "
             f"{story['years']} years, root seed {story['root_seed']}, replicate {story['replicate']} "
             f"(run seed {story['run_seed']})",
             f"A {a['gender']} service user, diagnosis {a['diagnosis']}, "
             f"{'with' if a['trauma_history'] else 'without'} a history of trauma.",
             f"Start: {s0['stage']}, {'in hospital' if s0['in_hospital'] else 'in the community'}; life security "
             f"{s0['life_security']:.2f}, medication burden {s0['medication_burden']:.2f}; ties: {ties(s0)}.", ""]
    for w in story["weeks"]:
        year, week = divmod(w["week"] - 1, WEEKS_PER_YEAR)
        lines.append(f"Year {year + 1:2d} week {week + 1:2d}: " + "; ".join(_event_text(e) for e in w["events"]))
    if not story["weeks"]:
        lines.append("Nothing changed for this person during the run.")
    c, k = summ["crises"], summ["coercive_episodes"]
    if s1 is None:
        end = f"End: no longer in services from year {story['exit_week'] / WEEKS_PER_YEAR:.1f} (the story stops there)."
    else:
        end = (f"End: {s1['stage']}, {'in hospital' if s1['in_hospital'] else 'in the community'}"
               f"{', peer worker' if s1['peer_worker'] else ''}; ties: {ties(s1)}.")
    lines += ["", end,
              f"Crises: {sum(c.values())} ({c['community']} in the community, {c['voluntary']} voluntary and "
              f"{c['involuntary']} involuntary admissions); {_n(summ['weeks_in_hospital'], 'week')} in hospital.",
              f"Coercive measures: {k['restraint']['count']} restraint ({k['restraint']['hours']:.0f} h), "
              f"{k['seclusion']['count']} seclusion ({k['seclusion']['hours']:.0f} h); "
              f"re-traumatised {_n(summ['retraumatisations'], 'time')}; {_n(summ['weeks_as_peer_worker'], 'week')} of "
              "peer work."]
    if story["held_back_longest_by"]:
        ranked = ", ".join(f"{b} {_n(w, 'week')}" for b, w in story["barrier_weeks"].items())
        lines.append(f"Held back longest by: {story['held_back_longest_by']} (weeks in front of them: {ranked}).")
    else:
        lines.append("No barrier stood in front of this person (in reunion throughout).")
    return "\n".join(lines) + "\n"


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register the ``trace`` subcommand; returns its parser."""
    p = subparsers.add_parser("trace", help="tell one person's story in a scenario, week by week",
                              description="Follow one simulated person through one replicate of a scenario.")
    p.add_argument("scenario", help="scenario file or bare name from scenarios/")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--person", type=int, help="person index 0..size-1")
    who.add_argument("--pick", choices=list(PICKS), help="choose the person who best fits a query")
    from recoverysim.cli import add_run_overrides

    p.add_argument("--replicate", type=int, default=0, help="which replicate R to trace (default 0)")
    add_run_overrides(p, ("seed", "years", "population"))  # the run uses replicate_seed(seed, R)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run_command)
    return p


def run_command(args: argparse.Namespace) -> int:
    """Handle ``recoverysim trace``."""
    from recoverysim.cli import scenario_from_args

    if args.replicate < 0:
        raise RecoverysimError("--replicate must be 0 or more")
    # --seed is the root of the traced replicate's seed; it is checked like run.seed.
    scenario = scenario_from_args(args.scenario, args)
    story = run_trace(scenario, person=args.person, pick=args.pick, seed=args.seed, replicate=args.replicate)
    print(json.dumps(story, indent=2) if args.json else format_text(story), end="\n" if args.json else "")
    return 0
