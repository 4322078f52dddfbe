"""Comparing scenarios with common random numbers: paired differences against a base scenario.

Replicate ``r`` of every scenario runs with the same seed, ``replicate_seed(seed, r)``. Because every random
process in the model draws from its own named stream (``random_streams``), two scenarios with the same seed
see the same random numbers wherever their mechanisms agree, so the per-replicate difference between them
is mostly the effect of what differs. The effect of a scenario is the mean of those paired differences,
with a t interval over replicates. To show how much this pairing buys, the other scenarios are run a
second time with seeds from an unrelated root seed and compared unpaired (Welch interval).

Those intervals hold Monte Carlo (chance) uncertainty only. With uncertainty draws (``--effect-uncertainty``,
``--posterior FILE --draws K``) every scenario also runs K times, draw k with the k-th posterior parameter set
(the same in every scenario), every reform's effect drawn from its evidence (the same draw in every scenario
that has the reform), every unit cost drawn from its range (costs.cost_quantile; the same in every scenario)
and seed k; the spread of the K paired differences is an uncertainty interval (2.5% and
97.5% quantiles) that holds parameter, effect and chance uncertainty, shown beside the Monte Carlo interval.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from recoverysim.costs import DEFAULT_COSTS, UNIT_COST_KEYS, cost_quantile, load_costs
from recoverysim.errors import RecoverysimError
from recoverysim.executor import default_workers, run_tasks
from recoverysim.intervals import CONFIDENCE, mean_interval, spread_interval, welch_interval
from recoverysim.outcomes import KEY_OUTCOMES, OUTCOMES, fmt_diff, fmt_value, verdict
from recoverysim.parameters import REFORMS, STAGES, WEEKS_PER_YEAR
from recoverysim.random_streams import derive_seed
from recoverysim.reform_evidence import PROXIMAL_EFFECTS, effect_quantile
from recoverysim.results import atomic_directory, file_hash, write_manifest
from recoverysim.run_folder import TIMESERIES_FLOAT_FORMAT, write_folder
from recoverysim.scenario import Scenario
from recoverysim.scenario_library import LIBRARY, available_names, resolve_scenario, scenario_dirs
from recoverysim.seeds import replicate_seed
from recoverysim.simulation import Results, RunResult, simulate_together
from recoverysim.simulation import batches as simulation_batches

# Re-exported for the command line and older callers.
__all__ = ["KEY_OUTCOMES", "LIBRARY", "available_names", "default_workers", "fmt_diff", "fmt_value", "resolve_scenario",
           "scenario_dirs", "verdict"]

#: Path component that turns the root seed into the root seed of the independent (unpaired) runs.
INDEPENDENT_STREAM = 7_919
#: Path component of the draws of the reforms' effects (one per replicate and reform, shared by all scenarios).
EFFECT_STREAM = 7_927
#: Path component of the resampling of the posterior ensemble into the comparison's draws.
POSTERIOR_STREAM = 7_933
#: Path component of the draws of the unit costs (one per replicate and unit cost, shared by all scenarios).
UNIT_COST_STREAM = 7_937
#: Per scenario and outcome: the Monte Carlo interval of the mean effect, then the uncertainty interval over draws.
UNCERTAINTY_COLUMNS = ["scenario", "metric", "difference", "ci_low", "ci_high", "draws", "difference_over_draws",
                       "uncertainty_low", "uncertainty_high", "probability_of_benefit", "uncertainty"]
DIFFERENCE_COLUMNS = ["scenario", "metric", "base_mean", "scenario_mean", "difference", "ci_low", "ci_high",
                      "relative_change"]


# --- finding and checking scenarios -------------------------------------------------------------------


def check_comparable(scenarios: Sequence[Scenario]) -> None:
    """Raise a clear error unless all scenarios run the same people for the same time, with distinct names."""
    if len(scenarios) < 2:
        raise RecoverysimError("compare needs a base scenario and at least one other scenario")
    for key, label, flag in (("population.size", "population size", "--population"),
                             ("run.years", "years", "--years")):
        listing = _differing(scenarios, key)
        if listing:
            raise RecoverysimError(f"scenarios differ in {label} ({key}), so their runs cannot be paired: "
                                   f"{listing}. Use {flag} to run them all at one value.")
    names = [s.name for s in scenarios]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        listing = "; ".join(s.source for s in scenarios if s.name in repeated)
        raise RecoverysimError(f"scenario name(s) {', '.join(repeated)} appear more than once ({listing}); "
                               "each compared scenario needs its own name")


def _differing(scenarios: Sequence[Scenario], key: str) -> str:
    """Each scenario's file and value of ``key`` if they do not all agree on it, else an empty string."""
    if len({s[key] for s in scenarios}) < 2:
        return ""
    return "; ".join(f"{s.source}: {s[key]:g}" for s in scenarios)


def check_posterior(scenarios: Sequence[Scenario], posterior) -> None:
    """Raise a clear error if the posterior sets a parameter that the scenarios differ in (a lever, not a belief).

    A posterior draw overrides its parameters in every scenario alike; on a parameter that a scenario changes
    on purpose it would erase the very difference being compared.
    """
    for name in posterior.names:
        listing = _differing(scenarios, name)
        if listing:
            raise RecoverysimError(f"{posterior.path}: parameters.{name}: the compared scenarios differ in this "
                                   f"parameter ({listing}), so a posterior draw would erase the difference; compare "
                                   "scenarios that share it, or calibrate without it")


# --- statistics ---------------------------------------------------------------------------------------


def paired_difference(base: np.ndarray, other: np.ndarray, confidence: float = CONFIDENCE):
    """(base mean, other mean, mean difference, ci_low, ci_high) from per-replicate pairs (t interval).

    Replicates where either value is missing (NaN) are dropped from both.
    """
    base, other = np.asarray(base, float), np.asarray(other, float)
    ok = np.isfinite(base) & np.isfinite(other)
    base, other = base[ok], other[ok]
    if base.size == 0:
        return (np.nan,) * 5
    return (float(base.mean()), float(other.mean()), *mean_interval(other - base, confidence))


def _relative(diff: float, base: float) -> float:
    return diff / base if base and np.isfinite(base) else np.nan


def _occupancy(results: Results) -> np.ndarray:
    """Stage shares, shape (replicates, weeks + 1, stages)."""
    out = []
    for run in results.runs:
        counts = run.timeseries[list(STAGES)].to_numpy(float)
        out.append(counts / counts.sum(axis=1, keepdims=True))
    return np.stack(out)


# --- the comparison -----------------------------------------------------------------------------------


@dataclass
class Comparison:
    """Everything ``compare`` computes: the runs and the paired (and unpaired) differences."""

    base: Results
    others: list[Results]
    seed: int
    replications: int
    independent_seed: int | None
    independent: list[Results] = field(default_factory=list)
    wall_seconds: float = 0.0
    uncertain: list[Results] = field(default_factory=list)  # base, then others: one run per uncertainty draw
    uncertainty: str = ""  # what the draws vary, e.g. "reform effects + unit costs + chance"
    draw_inputs: pd.DataFrame | None = None  # one row per draw: posterior parameters, effect.<reform>
    cost_effectiveness: pd.DataFrame | None = None  # set when written (cost_effectiveness.write_cost_effectiveness)
    ceac: pd.DataFrame | None = None
    evppi: pd.DataFrame | None = None  # set when written, with uncertainty draws (value_of_information)
    posterior: dict | None = None  # provenance of the posterior ensemble, when one was drawn from
    differences: pd.DataFrame = field(init=False)
    occupancy: pd.DataFrame = field(init=False)
    crn: pd.DataFrame = field(init=False)

    def __post_init__(self) -> None:
        self.differences = self._differences()
        self.occupancy = self._occupancy_differences()
        self.crn = self._crn_table()
        self.effects = self._uncertainty_table() if self.uncertain else None
        self.sources = self._sources_table() if self.draw_inputs is not None else None
        if self.effects is not None:  # the contract: differences.csv carries the probability of benefit
            extra = self.effects[["scenario", "metric", "uncertainty_low", "uncertainty_high",
                                  "probability_of_benefit"]]
            self.differences = self.differences.merge(extra, on=["scenario", "metric"], how="left")

    @property
    def scenarios(self) -> list[Scenario]:
        """Base first, then the others in the order given."""
        return [self.base.scenario, *(r.scenario for r in self.others)]

    def _differences(self) -> pd.DataFrame:
        rows = []
        base_h = self.base.headlines
        base_occ = _occupancy(self.base)
        years = range(1, base_occ.shape[1] // WEEKS_PER_YEAR + 1)
        for other in self.others:
            h = other.headlines
            for metric in OUTCOMES:
                b, o, d, lo, hi = paired_difference(base_h[metric].to_numpy(), h[metric].to_numpy())
                rows.append((other.scenario.name, metric, b, o, d, lo, hi, _relative(d, b)))
            occ = _occupancy(other)
            for y in years:
                for k, stage in enumerate(STAGES):
                    w = y * WEEKS_PER_YEAR
                    b, o, d, lo, hi = paired_difference(base_occ[:, w, k], occ[:, w, k])
                    rows.append((other.scenario.name, f"share_{stage}_year_{y}", b, o, d, lo, hi, _relative(d, b)))
        return pd.DataFrame(rows, columns=DIFFERENCE_COLUMNS)

    def _occupancy_differences(self) -> pd.DataFrame:
        """Weekly paired differences in each stage's share (vectorised over weeks)."""
        base = _occupancy(self.base)
        frames = []
        for other in self.others:
            mean, low, high = mean_interval(_occupancy(other) - base, CONFIDENCE)
            for k, stage in enumerate(STAGES):
                frames.append(pd.DataFrame({
                    "scenario": other.scenario.name, "stage": stage, "week": np.arange(mean.shape[0]),
                    "base_mean": base[:, :, k].mean(axis=0), "scenario_mean": base[:, :, k].mean(axis=0) + mean[:, k],
                    "difference": mean[:, k], "ci_low": low[:, k], "ci_high": high[:, k]}))
        return pd.concat(frames, ignore_index=True)

    def _crn_table(self) -> pd.DataFrame:
        """Interval widths with common random numbers vs independent seeds, and the variance-reduction ratio."""
        cols = ["scenario", "metric", "difference_crn", "width_crn", "difference_independent",
                "width_independent", "width_ratio", "variance_reduction"]
        rows = []
        base_h = self.base.headlines
        for other, indep in zip(self.others, self.independent, strict=False):
            for metric in OUTCOMES:
                if OUTCOMES[metric].better == "neither":
                    continue
                b = base_h[metric].to_numpy(float)
                o, i = other.headlines[metric].to_numpy(float), indep.headlines[metric].to_numpy(float)
                _, _, d, lo, hi = paired_difference(b, o)
                di, ilo, ihi = welch_interval(b, i, CONFIDENCE)
                ok = np.isfinite(b) & np.isfinite(o)
                var_paired = np.var(o[ok] - b[ok], ddof=1) if ok.sum() > 1 else np.nan
                var_indep = np.nanvar(b, ddof=1) + np.nanvar(i, ddof=1)
                width, width_i = hi - lo, ihi - ilo
                rows.append((other.scenario.name, metric, d, width, di, width_i,
                             width_i / width if width > 0 else np.nan,
                             var_indep / var_paired if var_paired > 0 else np.nan))
        return pd.DataFrame(rows, columns=cols)


    def _uncertainty_table(self) -> pd.DataFrame:
        """Each effect with Monte Carlo uncertainty only, then over the uncertainty draws.

        Draw k of every scenario shares its parameter set, its reform-effect draws and its seed, so the per-draw
        difference is paired; ``probability_of_benefit`` is the share of draws in which the scenario does better
        than the base, and the uncertainty interval the 2.5% and 97.5% quantiles of the per-draw differences.
        """
        rows = []
        base_drawn = self.uncertain[0].headlines
        for other, drawn in zip(self.others, self.uncertain[1:], strict=True):
            table = self.differences[self.differences["scenario"] == other.scenario.name].set_index("metric")
            for metric, outcome in OUTCOMES.items():
                diff = drawn.headlines[metric].to_numpy(float) - base_drawn[metric].to_numpy(float)
                row = table.loc[metric]
                mean, low, high = spread_interval(diff, CONFIDENCE)
                rows.append((other.scenario.name, metric, row.difference, row.ci_low, row.ci_high,
                             int(np.isfinite(diff).sum()), mean, low, high,
                             probability_of_benefit(diff, outcome.better), self.uncertainty))
        return pd.DataFrame(rows, columns=UNCERTAINTY_COLUMNS)


    @functools.cached_property
    def draw_differences(self) -> pd.DataFrame:
        """Per draw: its inputs, then ``<scenario>:<metric>`` paired differences of every headline outcome."""
        base = self.uncertain[0].headlines
        columns = {f"{o.scenario.name}:{m}": (drawn.headlines[m] - base[m]).to_numpy(float)
                   for o, drawn in zip(self.others, self.uncertain[1:], strict=True) for m in OUTCOMES}
        return pd.concat([self.draw_inputs.reset_index(drop=True), pd.DataFrame(columns)], axis=1)

    def _sources_table(self) -> pd.DataFrame:
        """Share of each key effect's variance over draws explained by each input (value_of_information)."""
        from recoverysim.value_of_information import first_order_share, input_groups, relevant_inputs

        draws = self.draw_differences
        rows = []
        for other in self.others:
            inputs = relevant_inputs(self.draw_inputs, other.scenario, self.base.scenario)
            groups = {**input_groups(inputs), "all inputs": inputs}
            for metric in KEY_OUTCOMES:
                y = draws[f"{other.scenario.name}:{metric}"].to_numpy(float)
                ok = np.isfinite(y)
                for name, members in groups.items():
                    share = first_order_share(y[ok], draws[members].to_numpy(float)[ok]) if members else np.nan
                    rows.append((other.scenario.name, metric, name, share))
        return pd.DataFrame(rows, columns=["scenario", "metric", "input", "variance_share"])


def probability_of_benefit(differences: np.ndarray, better: str) -> float:
    """Share of paired differences (scenario minus base) in the better direction; NaN if neither is better."""
    sign = {"higher": 1, "lower": -1}.get(better)
    differences = np.asarray(differences, float)
    differences = differences[np.isfinite(differences)]
    if sign is None or differences.size == 0:
        return np.nan
    return float(np.mean(sign * differences > 0))


def with_effect_draws(scenario: Scenario, seed: int, replicate: int) -> Scenario:
    """``scenario`` with each reform's effect drawn from its evidence distribution for ``replicate``.

    The draw of a reform depends only on (seed, replicate, reform), so scenarios sharing a reform share it.
    """
    reforms = tuple(replace(r, effect=effect_draw(r.name, seed, replicate)) for r in scenario.reforms)
    return scenario.with_reforms(reforms)


def effect_draw(reform: str, seed: int, replicate: int) -> float:
    """The effect of ``reform`` in uncertainty draw ``replicate``: a quantile of its evidence at a keyed uniform."""
    u = np.random.default_rng(derive_seed(seed, EFFECT_STREAM, replicate, list(REFORMS).index(reform)))
    return float(effect_quantile(PROXIMAL_EFFECTS[reform], u.random()))


def unit_cost_draws(scenario: Scenario, seed: int, replicate: int) -> dict[str, float]:
    """Every unit cost of ``scenario``'s costs file in uncertainty draw ``replicate`` (dotted keys, yen).

    Each is a quantile of its range (``costs.cost_quantile``) at a uniform keyed by (seed, replicate, key), so
    scenarios share a draw wherever they share a costs file.
    """
    entries = load_costs(scenario.costs or DEFAULT_COSTS).entries()
    return {key: cost_quantile(entry, np.random.default_rng(
        derive_seed(seed, UNIT_COST_STREAM, replicate, UNIT_COST_KEYS.index(key))).random())
            for key, entry in entries.items()}


def uncertainty_draws(scenario: Scenario, seed: int, draws: int,
                      parameter_sets: Sequence[dict[str, float]] | None = None) -> list[Scenario]:
    """``draws`` versions of ``scenario``: draw k with parameter set k (if given) and draw k's effects and costs."""
    out = []
    for k in range(draws):
        drawn = scenario.with_overrides(parameter_sets[k], source="posterior") if parameter_sets else scenario
        out.append(with_effect_draws(drawn, seed, k).with_unit_costs(unit_cost_draws(scenario, seed, k)))
    return out


def _draw_input_columns(sets, scenarios: Sequence[Scenario], base_draws: Sequence[Scenario], seed: int) -> pd.DataFrame:
    """One row per draw: posterior parameters, ``effect.<reform>``, ``cost.<item>``, ``cost.programme.<reform>``.

    The costs are those the base's draws ran with (``base_draws``); effects and programme costs are those of the
    reforms compared.
    """
    reform_names = sorted({r.name for sc in scenarios for r in sc.reforms}, key=list(REFORMS).index)
    rows = []
    for r, drawn in enumerate(base_draws):
        costs = dict(drawn.unit_costs)
        rows.append({**(sets[r] if sets else {}), **{f"effect.{n}": effect_draw(n, seed, r) for n in reform_names},
                     **{f"cost.{key.split('.', 1)[1]}": costs[key] for key in UNIT_COST_KEYS
                        if key.startswith("costs.") and key in costs},
                     **{f"cost.programme.{n}": costs[f"programmes.{n}"] for n in reform_names}})
    return pd.DataFrame(rows)


def run_comparison(scenarios: Sequence[Scenario], replications: int | None = None, seed: int | None = None, *,
                   independent: bool = True, progress: bool = False, workers: int = 1,
                   effect_uncertainty: bool = False, posterior=None, draws: int | None = None,
                   scheduler: str | None = None) -> Comparison:
    """Run base (first) and others on common random numbers; optionally the others again on independent seeds.

    With ``effect_uncertainty`` (K = ``replications`` draws) or a ``posterior``
    (:class:`recoverysim.calibration.posterior.Posterior`, K = ``draws``), every scenario also runs K times
    (:func:`uncertainty_draws`), for intervals that hold parameter and effect uncertainty as well as chance.

    With ``scheduler`` (a Dask scheduler address) the runs go to that cluster, with the same results.

    The scenarios are checked here, once per comparison (:func:`check_comparable`), before any run.
    """
    check_comparable(scenarios)
    base = scenarios[0]
    replications = int(replications or base.params.run.replications)
    if replications < 2:
        raise RecoverysimError("compare needs at least 2 replicates to put an interval on a difference")
    seed = int(base.params.run.seed if seed is None else seed)
    indep_seed = derive_seed(seed, INDEPENDENT_STREAM) if independent else None
    # (group, scenario index, seed, replicate); group "independent" reruns the others on unrelated seeds.
    plan = [("crn", i, replicate_seed(seed, r), r) for i in range(len(scenarios)) for r in range(replications)]
    if independent:
        plan += [("independent", i, replicate_seed(indep_seed, r), r)
                 for i in range(1, len(scenarios)) for r in range(replications)]
    drawn: dict[tuple[int, int], Scenario] = {}
    uncertainty, draw_inputs = "", None
    if posterior is not None:
        check_posterior(scenarios, posterior)
    if posterior is not None or effect_uncertainty:
        k = int(draws or replications) if posterior is not None else replications
        if k < 2:
            raise RecoverysimError("--draws must be at least 2 to put an uncertainty interval on a difference")
        sets = posterior.draws(k, derive_seed(seed, POSTERIOR_STREAM)) if posterior is not None else None
        with_reforms = any(sc.reforms for sc in scenarios)
        uncertainty = " + ".join([*(["posterior parameters"] if sets else []),
                                  *(["reform effects"] if with_reforms else []), "unit costs", "chance"])
        for i, sc in enumerate(scenarios):
            # Every scenario runs its draws, a base without reforms too: its costs take each draw's unit costs.
            plan += [("uncertain", i, replicate_seed(seed, r), r) for r in range(k)]
            drawn.update({(i, r): s for r, s in enumerate(uncertainty_draws(sc, seed, k, sets))})
        draw_inputs = _draw_input_columns(sets, scenarios, [drawn[(0, r)] for r in range(k)], seed)
    start = time.perf_counter()
    runs = _execute([(drawn[(i, r)] if group == "uncertain" else scenarios[i], s, r) for group, i, s, r in plan],
                    progress, workers, scheduler)
    grouped: dict[tuple[str, int], list[RunResult]] = {}
    for (group, i, _, _), run in zip(plan, runs, strict=True):
        grouped.setdefault((group, i), []).append(run)
    results = [Results(s, grouped[("crn", i)]) for i, s in enumerate(scenarios)]
    indep = [Results(s, grouped[("independent", i)]) for i, s in enumerate(scenarios) if i and independent]
    uncertain = [Results(s, grouped[("uncertain", i)]) for i, s in enumerate(scenarios)] if uncertainty else []
    return Comparison(results[0], results[1:], seed, replications, indep_seed, indep,
                      wall_seconds=time.perf_counter() - start, uncertain=uncertain, uncertainty=uncertainty,
                      draw_inputs=draw_inputs,
                      posterior=dict(posterior.provenance, file=str(posterior.path)) if posterior is not None else None)


def _execute(jobs: list[tuple[Scenario, int, int]], progress: bool, workers: int,
             scheduler: str | None = None) -> list[RunResult]:
    """Run jobs in batches of runs stepped together (serially or in worker processes), with a progress bar.

    Each result is exactly what the job run alone gives (docs/ODD.md section 3), so batching changes only speed.
    """
    batches = simulation_batches([scenario for scenario, _, _ in jobs], parts=max(1, workers))
    done = run_tasks(simulate_together, [([jobs[i] for i in batch],) for batch in batches], workers,
                     progress=progress, desc="compare", sizes=[len(batch) for batch in batches], scheduler=scheduler)
    out: list[RunResult] = [None] * len(jobs)  # type: ignore[list-item]
    for batch, runs in zip(batches, done, strict=True):
        for i, run in zip(batch, runs, strict=True):
            out[i] = run
    return out


# --- writing ------------------------------------------------------------------------------------------


def write_comparison(comparison: Comparison, folder: Path, command: list[str] | None = None) -> None:
    """Write differences.csv, occupancy_differences.csv, crn.csv, runs/<name>/, figures/, report.html/.md."""
    from recoverysim import report

    fmt = TIMESERIES_FLOAT_FORMAT
    comparison.differences.to_csv(folder / "differences.csv", index=False, float_format=fmt)
    comparison.occupancy.to_csv(folder / "occupancy_differences.csv", index=False, float_format=fmt)
    comparison.crn.to_csv(folder / "crn.csv", index=False, float_format=fmt)
    if comparison.effects is not None:
        comparison.effects.to_csv(folder / "uncertainty.csv", index=False, float_format=fmt)
        comparison.draw_differences.to_csv(folder / "uncertainty_draws.csv", index_label="draw", float_format=fmt)
        comparison.sources.to_csv(folder / "uncertainty_sources.csv", index=False, float_format=fmt)
    runs = folder / "runs"
    for results in (comparison.base, *comparison.others):
        sub = runs / results.scenario.name
        sub.mkdir(parents=True)
        write_folder(results, sub, comparison.wall_seconds, command)
    write_manifest(folder, "compare", {
        "base": comparison.base.scenario.name,
        "scenarios": {s.name: {"file": s.source, "content_hash": s.content_hash, "files": file_hash(s.files)}
                      for s in comparison.scenarios},
        "replications": comparison.replications,
        "seed": comparison.seed,
        "seeds": [r.seed for r in comparison.base.runs],
        "independent_seed": comparison.independent_seed,
        "independent_seeds": [r.seed for r in comparison.independent[0].runs] if comparison.independent else [],
        "population": comparison.base.scenario["population.size"],
        "years": comparison.base.scenario["run.years"],
        "wall_seconds": round(comparison.wall_seconds, 3),
        "uncertainty_draws": len(comparison.uncertain[0].runs) if comparison.uncertain else 0,
        "uncertainty": comparison.uncertainty or "chance only (Monte Carlo)",
        "posterior": comparison.posterior,
        "command": command,
    })
    from recoverysim.cost_effectiveness import write_cost_effectiveness

    comparison.cost_effectiveness, comparison.ceac = write_cost_effectiveness(comparison, folder)
    if comparison.uncertain:
        from recoverysim.value_of_information import evppi_table

        comparison.evppi = evppi_table(comparison)
        comparison.evppi.to_csv(folder / "evppi.csv", index=False, float_format=fmt)
    report.write_report(comparison, folder)


def compare_to_folder(scenarios: Sequence[Scenario], out: Path, replications: int | None = None,
                      seed: int | None = None, *, independent: bool = True, progress: bool = False,
                      workers: int = 1, command: list[str] | None = None, force: bool = False,
                      effect_uncertainty: bool = False, posterior=None, draws: int | None = None,
                      scheduler: str | None = None) -> Comparison:
    """Run the comparison and write ``out`` atomically (checked first; nothing is left behind if anything fails)."""
    with atomic_directory(Path(out), force) as tmp:
        comparison = run_comparison(scenarios, replications, seed, independent=independent, progress=progress,
                                    workers=workers, effect_uncertainty=effect_uncertainty, posterior=posterior,
                                    draws=draws, scheduler=scheduler)
        write_comparison(comparison, tmp, command)
    return comparison
