"""Diagnostics of an ABC-SMC posterior: prior vs posterior, ESS, correlations and a posterior predictive check.

The predictive check runs after the fit and is the only place where validation targets are read: K draws of
the posterior (systematic resampling, :meth:`Posterior.draws`) are each simulated once with fresh seeds, and
every target is compared with the draws' statistics.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from recoverysim.calibration.abc import AbcResult
from recoverysim.calibration.posterior import Posterior
from recoverysim.calibration.report import render
from recoverysim.calibration.targets import Targets
from recoverysim.calibration.validate import PREDICTIVE_INTERVAL, predictive
from recoverysim.figures import panel_grid, save_figure, subplots
from recoverysim.random_streams import derive_seed
from recoverysim.results import write_json
from recoverysim.scenario import Scenario

#: Posterior correlation above which a pair of parameters is flagged: the targets constrain a combination of
#: the two, not each (a non-identified direction). Threshold assumed (the issue's 0.5).
CORRELATION_FLAG = 0.5
INTERVAL = PREDICTIVE_INTERVAL  # the 90% intervals of the tables


def weighted_quantiles(x: np.ndarray, w: np.ndarray, qs: Sequence[float]) -> np.ndarray:
    """Quantiles of the weighted sample ``x`` (inverse of the weighted empirical distribution function)."""
    order = np.argsort(x)
    cw = np.cumsum(w[order]) / np.sum(w)
    return np.array([x[order][min(np.searchsorted(cw, q, side="left"), len(x) - 1)] for q in qs])


def summary(posterior: Posterior) -> pd.DataFrame:
    """Per parameter: the uniform prior's mean and 90% interval, the posterior's mean, sd and 90% interval."""
    rows = []
    w = posterior.weights
    for j, name in enumerate(posterior.names):
        lo, hi = posterior.priors[name]
        x = posterior.values[:, j]
        mean = float(w @ x)
        q5, q50, q95 = weighted_quantiles(x, w, (INTERVAL[0], 0.5, INTERVAL[1]))
        rows.append({"parameter": name, "prior_low": lo, "prior_high": hi, "prior_mean": (lo + hi) / 2,
                     "prior_5%": lo + INTERVAL[0] * (hi - lo), "prior_95%": lo + INTERVAL[1] * (hi - lo),
                     "posterior_mean": mean, "posterior_sd": float(np.sqrt(w @ (x - mean) ** 2)),
                     "posterior_5%": q5, "posterior_median": q50, "posterior_95%": q95,
                     "interval_vs_prior": (q95 - q5) / ((INTERVAL[1] - INTERVAL[0]) * (hi - lo))})
    return pd.DataFrame(rows)


def correlations(posterior: Posterior) -> pd.DataFrame:
    """Weighted posterior correlation of every pair, flagged when |r| > :data:`CORRELATION_FLAG`."""
    w = posterior.weights
    x = posterior.values
    centred = x - w @ x
    cov = (centred * w[:, None]).T @ centred
    sd = np.sqrt(np.diag(cov))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = cov / np.outer(sd, sd)
    rows = []
    n = len(posterior.names)
    for i in range(n):
        for j in range(i + 1, n):
            rows.append({"parameter_a": posterior.names[i], "parameter_b": posterior.names[j], "r": float(r[i, j]),
                         "flag": "non-identified direction" if abs(r[i, j]) > CORRELATION_FLAG else ""})
    return pd.DataFrame(rows, columns=["parameter_a", "parameter_b", "r", "flag"])


def _prior_posterior_figure(folder: Path, posterior: Posterior) -> Path:
    fig, axes = panel_grid(len(posterior.names), 3, (3.6, 2.8), margin=0.4)
    for j, (ax, name) in enumerate(zip(axes.flat, posterior.names, strict=False)):
        lo, hi = posterior.priors[name]
        ax.hist(posterior.values[:, j], bins=20, range=(lo, hi), weights=posterior.weights, density=True,
                color="#2166ac", alpha=0.7, label="posterior")
        ax.plot([lo, lo, hi, hi], [0, 1 / (hi - lo), 1 / (hi - lo), 0], color="#b2182b", ls="--", label="prior")
        ax.set_xlabel(name, fontsize=8)
        ax.set_yticks([])
    axes.flat[0].legend(frameon=False, fontsize=7)
    return save_figure(fig, folder / "prior_posterior.png")


def _correlation_figure(folder: Path, posterior: Posterior, table: pd.DataFrame) -> Path:
    n = len(posterior.names)
    r = np.eye(n)
    index = {name: i for i, name in enumerate(posterior.names)}
    for row in table.itertuples():
        r[index[row.parameter_a], index[row.parameter_b]] = r[index[row.parameter_b], index[row.parameter_a]] = row.r
    fig, ax = subplots(figsize=(1.0 + 0.6 * n, 0.6 + 0.6 * n))
    im = ax.imshow(r, vmin=-1, vmax=1, cmap="RdBu_r")
    short = [name.split(".", 1)[1] for name in posterior.names]
    ax.set_xticks(range(n), short, rotation=90, fontsize=7)
    ax.set_yticks(range(n), short, fontsize=7)
    for i in range(n):
        for j in range(n):
            if i != j:
                ax.text(j, i, f"{r[i, j]:.2f}", ha="center", va="center", fontsize=6)
    fig.colorbar(im, ax=ax, shrink=0.8)
    return save_figure(fig, folder / "correlations.png")


def _predictive_figure(folder: Path, targets: Targets, per_draw: pd.DataFrame) -> Path:
    keys = [t.key for t in targets.targets]
    fig, ax = subplots(figsize=(8, 0.35 * len(keys) + 1.2))
    for y, t in enumerate(targets.targets):
        v = per_draw[t.key].to_numpy(float)
        v = v[np.isfinite(v)]
        # residual in band units: the band edge is at +/-1 on each side, as in the loss
        z = np.where(v >= t.value, (v - t.value) / (t.high - t.value), (v - t.value) / (t.value - t.low))
        colour = {"calibration": "#2166ac", "validation": "#b2182b"}.get(t.role, "#999999")
        ax.plot(np.clip(z, -6, 6), np.full(z.size, y) + np.linspace(-0.25, 0.25, z.size), ".", ms=2, color=colour)
    ax.axvspan(-1, 1, color="#dddddd", zorder=0)
    ax.axvline(0, color="k", lw=0.8)
    ax.set_yticks(range(len(keys)), [f"{t.key} ({t.role})" for t in targets.targets], fontsize=7)
    ax.set_xlabel("(simulated - observed) / band half-width; grey: the target band (clipped at 6)", fontsize=8)
    ax.invert_yaxis()
    return save_figure(fig, folder / "predictive_check.png")


def write_abc_report(folder: Path, scenario: Scenario, targets: Targets, result: AbcResult, *, draws: int = 50,
                     workers: int = 1, log: Callable[[str], None] | None = None) -> str:
    """Write the tables, figures and report.md/html of an ABC run into ``folder``; returns a one-line check."""
    post = result.posterior
    prov = post.provenance
    figs = folder / "figures"
    figs.mkdir(exist_ok=True)
    result.generations.to_csv(folder / "generations.csv", index=False)
    summ = summary(post)
    summ.to_csv(folder / "posterior_summary.csv", index=False)
    corr = correlations(post)
    corr.to_csv(folder / "correlations.csv", index=False)
    flagged = corr[corr["flag"] != ""]
    blocks: list[tuple] = [
        ("p", f"Scenario {scenario.name} ({scenario.source}), {scenario.params.population.size:,} people x "
              f"{scenario.params.run.years} years (after a {scenario.params.run.spin_up_years}-year spin-up) x "
              f"{prov['replications']} replicate(s) per particle; targets {targets.path} (calibration targets "
              f"only: {', '.join(prov['fitted_targets'])}). pyabc {prov['library_version']} ABC-SMC, "
              f"{prov['particles']} particles, {prov['generations']} generations, {result.simulations} particles "
              f"simulated in {result.seconds:.0f} s; seed {prov['seed']}."),
        ("p", f"Distance: {prov['distance']}. Priors: uniform on the --free bounds. Epsilon: the "
              f"{prov['quantile']:g} quantile of the previous generation's distances."),
        ("p", f"Command: {' '.join(prov['command'] or [])}"),
        ("h2", "Generations"), ("table", result.generations),
        ("p", f"Final population: effective sample size {post.effective_sample_size():.1f} of {len(post)} "
              "(Kish, 1 / sum of squared weights)."),
        ("h2", "Prior and posterior"), ("table", summ),
        ("p", "interval_vs_prior: width of the posterior 90% interval over that of the prior (1: nothing learnt)."),
        ("img", _prior_posterior_figure(figs, post), "Posterior (weighted histogram) and uniform prior."),
        ("h2", "Posterior correlations"),
        ("p", f"|r| > {CORRELATION_FLAG}: the targets constrain a combination of the two parameters rather than "
              f"each (a non-identified direction). Flagged pairs: {len(flagged)} of {len(corr)}."),
        ("table", flagged if len(flagged) else corr.head(0)),
    ]
    if len(post.names) > 1:
        blocks.append(("img", _correlation_figure(figs, post, corr), "Weighted posterior correlations."))
    check = "no posterior predictive check (--predictive-draws 0)"
    if draws > 0:
        if log is not None:
            log(f"posterior predictive check: {draws} draws, all targets")
        table, per_draw = predictive(scenario, targets, post, draws, derive_seed(prov["seed"], 15), workers)
        table.to_csv(folder / "predictive_check.csv", index=False)
        per_draw.to_csv(folder / "predictive_draws.csv", index=False)
        inside = table.groupby("role")["observed_in_90%_interval"].agg(["sum", "count"])
        check = "; ".join(f"{role}: observed inside the 90% predictive interval for {int(r['sum'])}/{int(r['count'])}"
                          for role, r in inside.iterrows())
        blocks += [
            ("h2", "Posterior predictive check"),
            ("p", f"{draws} posterior draws (systematic resampling), each simulated once with fresh seeds; every "
                  "target, calibration and held-out validation side by side (input checks are inputs, shown for "
                  f"consistency). {check}."),
            ("table", table),
            ("img", _predictive_figure(figs, targets, per_draw),
             "Posterior predictive draws against each target's band (blue: calibration, red: validation)."),
        ]
        write_json(folder / "predictive_check.json", {"draws": draws, "summary": check})
    render(folder, f"ABC-SMC calibration of {scenario.name}", blocks)
    return check
