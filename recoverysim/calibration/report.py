"""Validation and calibration reports: figures (PNG), Markdown, and self-contained HTML (base64 images)."""

from __future__ import annotations

import base64
import html
import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from recoverysim.calibration.targets import met_by_role, met_summary
from recoverysim.figures import panel_grid, save_figure, subplots
from recoverysim.outcomes import DISCHARGE_CURVE_DAYS, READMISSION_CURVE_DAYS
from recoverysim.results import manifest, write_json

#: Why the model may miss a target (used in the plain-language list of what it does not reproduce).
WHY = {
    "alos_mhlw_days": "Japanese bed statistics include long-stay and dementia beds and a stock of people admitted "
                      "decades ago; the model's stock comes from a 10-year run that starts from an assumed state.",
    "discharged_within_90_days": "Stays are a two-type mixture (short stays, a long-stay tail) with exponential "
                                 "lengths; the observed curve need not be such a mixture.",
    "discharged_within_360_days": "As for 90 days: the long-stay share and tail set the 360-day point jointly with "
                                  "the average length of stay.",
    "readmitted_within_90_days": "Readmission comes only from the post-discharge crisis risk, which decays "
                                 "exponentially; the observed curve may not have that shape.",
    "readmitted_within_180_days": "As for 90 days.",
    "readmitted_within_365_days": "As for 90 days.",
    "restraint_per_million_per_day": "The model restrains at most once per admission, at admission, and its "
                                     "episode lengths are not cut short by discharge; prevalence then rests "
                                     "on the heavy lognormal tail and is noisy between replicates.",
    "restraint_median_hours": "Medians are set directly by the cited parameters; a miss is sampling noise.",
    "seclusion_median_hours": "Medians are set directly by the cited parameters; a miss is sampling noise.",
    "yearly_stay_share": "The model's stages are not the measured recovery states of Castelein et al.",
    "yearly_improve_share": "The model's stages are not the measured recovery states of Castelein et al.",
    "yearly_worsen_share": "Every crisis is a setback in the model, so a crisis rate high enough for the "
                           "admission flow also sets how many people worsen in a year.",
    "schizophrenia_reunion_share_end": "Reunion (a personal-recovery stage) is not the review's criterion of "
                                       "clinical plus social recovery for two years.",
}
ALWAYS = [
    "The model's stages (discontinuity, safety, control, reunion) come from a qualitative study and are not "
    "the measured recovery states of Castelein et al. (2021) or the recovery criteria of Jaaskelainen et al. "
    "(2013): those comparisons check orders of magnitude, not definitions.",
    "Japanese bed statistics (length of stay, restraint) include long-stay and dementia beds; the model's "
    "population is service users with psychiatric disorders, scaled to the population with a published ratio.",
    "The paper the model is built on (Nakanishi et al. 2021) interviewed seven men; its mechanisms are not "
    "representative estimates, and the calibration fits a few rates, not the structure.",
]


def _curve_stats(stats: list[dict[str, Any]], key: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    arr = np.array([s["curves"][key] for s in stats], float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(arr, 0), np.nanquantile(arr, 0.05, 0), np.nanquantile(arr, 0.95, 0)


def _observed(table: pd.DataFrame, metric: str) -> pd.DataFrame:
    return table[table["metric"] == metric]


def validation_figures(folder: Path, table: pd.DataFrame, stats: list[dict[str, Any]]) -> list[tuple[Path, str]]:
    """Draw the validation figures into ``folder``; returns (path, caption) pairs."""
    out = []
    fig, ax = subplots(figsize=(8, 0.45 * len(table) + 1.2))
    y = np.arange(len(table))[::-1]
    res = table["residual"].clip(-5, 5)
    ax.axvspan(-1, 1, color="#d9f0d3")
    ax.axvline(0, color="#333333", lw=0.8)
    ax.scatter(res, y, color=np.where(table["met"], "#1b7837", "#b2182b"), zorder=3)
    ax.set_yticks(y, table["target"])
    ax.set(xlabel="(simulated - observed) / tolerance (clipped at +/-5); green band: tolerance", xlim=(-5.2, 5.2))
    out.append((save_figure(fig, folder / "targets.png"),
                "Every target: simulated mean relative to its tolerance band."))
    fig, ax = subplots(figsize=(8, 4.5))
    los = np.concatenate([s["curves"]["los"] for s in stats])
    if los.size:
        ax.hist(np.minimum(los, 735), bins=np.arange(0, 736, 14), color="#67a9cf", density=True)
    else:
        ax.text(0.5, 0.5, "no admissions with 360 days of follow-up (run too short)", ha="center",
                transform=ax.transAxes)
    for d in (90, 360):
        share = float(np.mean(los <= d)) if los.size else np.nan
        ax.axvline(d, color="#b2182b", ls="--")
        obs = _observed(table, f"discharged_within_{d}_days")["observed"]
        seen = f" (observed {obs.iloc[0]:.1%})" if len(obs) else ""
        ax.text(d + 5, ax.get_ylim()[1] * (0.9 if d == 90 else 0.8), f"{d} d: {share:.1%} discharged{seen}",
                color="#b2182b")
    ax.set(xlabel="length of stay (days; last bin: 735+ or still in hospital)", ylabel="density",
           title="Simulated length of stay of admissions with 360+ days of follow-up")
    out.append((save_figure(fig, folder / "length_of_stay.png"),
                "Length-of-stay distribution with the 90/360-day points."))
    for key, days, metric_prefix, title in (
            ("discharge", DISCHARGE_CURVE_DAYS, "discharged_within_", "Share of admissions discharged by day d"),
            ("readmission", READMISSION_CURVE_DAYS, "readmitted_within_", "Share of discharges readmitted by day d")):
        mean, lo, hi = _curve_stats(stats, key)
        fig, ax = subplots(figsize=(8, 4.5))
        ax.plot(days, mean, color="#2166ac", label="simulated (mean of replicates)")
        ax.fill_between(days, lo, hi, color="#2166ac", alpha=0.2, linewidth=0, label="5-95% of replicates")
        obs = table[table["metric"].str.startswith(metric_prefix)]
        for row in obs.itertuples():
            d = int(row.metric.split("_")[2])
            ax.errorbar([d], [row.observed], yerr=[[row.observed - row.low], [row.high - row.observed]],
                        fmt="o", color="#b2182b", capsize=4)
        ax.plot([], [], "o", color="#b2182b", label="observed (with tolerance)")
        ax.set(xlabel="days", ylabel="share", ylim=(0, 1), title=title)
        ax.legend(frameon=False, loc="lower right")
        ax.grid(alpha=0.3)
        out.append((save_figure(fig, folder / f"{key}_curve.png"), title + ", simulated against observed."))
    fig, ax = subplots(figsize=(8, 4.5))
    for key, colour, metric in (("restraint_hours", "#b2182b", "restraint_median_hours"),
                                ("seclusion_hours", "#2166ac", "seclusion_median_hours")):
        h = np.concatenate([s["curves"][key] for s in stats])
        if h.size:
            ax.hist(np.log10(h), bins=40, alpha=0.5, color=colour, label=key.replace("_", " "))
        for row in _observed(table, metric).itertuples():
            ax.axvline(np.log10(row.observed), color=colour, ls="--")
    ax.set(xlabel="log10 episode hours (dashed: observed medians)", ylabel="episodes", title="Coercive episodes")
    ax.legend(frameon=False)
    out.append((save_figure(fig, folder / "episode_hours.png"),
                "Simulated episode lengths against the observed medians."))
    return out


def _fmt(x: Any) -> str:
    if isinstance(x, bool | np.bool_):
        return "yes" if x else "**no**"
    if isinstance(x, float | np.floating):
        return "" if not np.isfinite(x) else f"{x:.4g}"
    return str(x)


def render(folder: Path, title: str, blocks: list[tuple]) -> None:
    """Write report.md and a self-contained report.html from blocks ('h2'|'p'|'ul'|'table'|'img', ...)."""
    md, body = [f"# {title}", ""], [f"<h1>{html.escape(title)}</h1>"]
    for kind, *content in blocks:
        if kind == "h2":
            md += [f"## {content[0]}", ""]
            body.append(f"<h2>{html.escape(content[0])}</h2>")
        elif kind == "p":
            md += [content[0], ""]
            body.append(f"<p>{html.escape(content[0])}</p>")
        elif kind == "ul":
            md += [f"- {item}" for item in content[0]] + [""]
            body.append("<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in content[0]) + "</ul>")
        elif kind == "table":
            df = content[0]
            md += ["| " + " | ".join(df.columns) + " |", "|" + "---|" * len(df.columns)]
            md += ["| " + " | ".join(_fmt(v) for v in row) + " |" for row in df.itertuples(index=False)] + [""]
            head = "".join(f"<th>{html.escape(c)}</th>" for c in df.columns)
            rows = "".join("<tr>" + "".join(f"<td>{html.escape(_fmt(v)).replace('**', '')}</td>" for v in row)
                           + "</tr>" for row in df.itertuples(index=False))
            body.append(f"<table><tr>{head}</tr>{rows}</table>")
        elif kind == "img":
            path, caption = content
            rel = path.relative_to(folder)
            md += [f"![{caption}]({rel.as_posix()})", "", f"*{caption}*", ""]
            data = base64.b64encode(path.read_bytes()).decode()
            body.append(f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(caption)}">'
                        f"<figcaption>{html.escape(caption)}</figcaption></figure>")
    style = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;line-height:1.4}"
             "table{border-collapse:collapse;font-size:0.85em}td,th{border:1px solid #ccc;padding:3px 6px}"
             "img{max-width:100%}figcaption{font-style:italic;color:#555}")
    (folder / "report.md").write_text("\n".join(md), encoding="utf-8")
    (folder / "report.html").write_text(
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{style}</style></head><body>{''.join(body)}</body></html>\n", encoding="utf-8")


def side_by_side(table: pd.DataFrame) -> pd.DataFrame:
    """The validation table as shown in reports."""
    return pd.DataFrame({
        "target": table["target"], "observed": table["observed"],
        "band": [f"[{lo:.4g}, {hi:.4g}]" for lo, hi in zip(table["low"], table["high"], strict=True)],
        "unit": table["unit"], "simulated": table["simulated"],
        "95% interval": [f"[{lo:.4g}, {hi:.4g}]" for lo, hi in zip(table["ci_low"], table["ci_high"], strict=True)],
        "role": table["role"], "met": table["met"], "loss": table["loss"], "source": table["source"]})


def not_reproduced(table: pd.DataFrame) -> list[str]:
    """Plain-language list of missed targets and why, followed by the standing limits."""
    items = [f"{r.target} ({r.description or r.metric}): observed {r.observed:.4g}, simulated {r.simulated:.4g} "
             f"outside {r.low:.4g}-{r.high:.4g}. {WHY.get(r.metric, '')}"
             for r in table.itertuples() if not r.met and r.role != "input_check"]
    return (items or ["Every target is within its tolerance."]) + ALWAYS


def write_validation(folder: Path, scenario, targets, table: pd.DataFrame, stats: list[dict[str, Any]],
                     wall: float, command: list[str] | None) -> None:
    """Write the validation folder: table.csv, validation.json, figures/, report.md, report.html."""
    figs = folder / "figures"
    figs.mkdir()
    table.to_csv(folder / "table.csv", index=False)
    replicates = pd.DataFrame([s["metrics"] for s in stats])
    replicates.to_csv(folder / "replicates.csv", index=False)

    counts = met_by_role(table)
    checks = table[table["role"] == "input_check"]
    shown = table[table["role"] != "input_check"]
    write_json(folder / "validation.json", {
        "manifest": manifest(scenario, [], wall, command, replications=len(stats), targets=targets.path),
        "calibration_targets_met": counts["calibration"][0], "calibration_targets": counts["calibration"][1],
        "validation_targets_met": counts["validation"][0], "validation_targets": counts["validation"][1],
        "input_checks_consistent": counts["input_check"][0], "input_checks": counts["input_check"][1],
        "loss": float(table["loss"].sum()),
        "table": json.loads(table.to_json(orient="records"))})
    blocks: list[tuple] = [
        ("p", f"Scenario {scenario.name} ({scenario.source}), {scenario.params.population.size:,} people x "
              f"{scenario.params.run.years} years x {len(stats)} replicates, seed {scenario.params.run.seed}; "
              f"targets {targets.path}; burn-in {targets.burn_in_years} years. {met_summary(table)}; "
              f"calibration loss {table['loss'].sum():.3f}."),
        ("h2", "Simulated against observed"),
        ("p", "Calibration targets are fitted by recoverysim calibrate; validation targets are never fitted "
              "(held out). Input checks, below, are not targets."),
        ("table", side_by_side(shown)),
        ("h2", "Input checks (figures the model takes as inputs; not counted as targets met)"),
        ("table", side_by_side(checks)),
        ("h2", "What the model does not reproduce, and why"), ("ul", not_reproduced(table)),
        ("h2", "How each model output is mapped onto each statistic"),
        ("ul", [f"{r.target} -> {r.metric}" + (f" x {r.conversion:.5g}" if r.conversion != 1 else "")
                + f": {r.mapping} ({r.population}, {r.year})" for r in table.itertuples()]
         + [f"conversion {k} = {v:g}: {targets.conversion_sources[k]}" for k, v in targets.conversions.items()]),
        ("h2", "Figures"),
    ]
    blocks += [("img", p, c) for p, c in validation_figures(figs, table, stats)]
    render(folder, f"Validation of {scenario.name}", blocks)


def calibration_figures(folder: Path, result) -> list[tuple[Path, str]]:
    """Loss history and loss profiles."""
    hist = result.history[result.history["phase"] != "profile"]
    fig, ax = subplots(figsize=(8, 4.5))
    ax.semilogy(hist["evaluation"], hist["loss"], ".", color="#999999", label="evaluation")
    ax.semilogy(hist["evaluation"], hist["loss"].cummin(), color="#b2182b", label="best so far")
    ax.set(xlabel="evaluation", ylabel="loss", title="Loss history")
    ax.legend(frameon=False)
    out = [(save_figure(fig, folder / "loss_history.png"), "Loss of every evaluation and the best so far.")]
    fig, axes = panel_grid(len(result.free), 4, (3.3, 3.0), margin=0.5)
    for ax, p in zip(axes.flat, result.free, strict=False):
        prof = result.profiles[result.profiles["parameter"] == p.name]
        ax.plot(prof["value"], prof["loss"], "o-", color="#2166ac")
        ax.axvline(result.fitted[p.name], color="#b2182b", ls="--")
        ax.axhline(result.loss + 1, color="#999999", ls=":")
        ax.set(xlabel=p.name, ylabel="loss")
    out.append((save_figure(fig, folder / "profiles.png"),
                "Loss profile around the optimum (others fixed); dotted: optimum + 1, the identification threshold."))
    return out


def write_calibration(folder: Path, scenario, targets, result, scenario_file: Path, command: list[str] | None,
                      replications: int) -> None:
    """Write the calibration folder: history, profiles, fitted values, figures, report.md, report.html."""
    figs = folder / "figures"
    figs.mkdir()
    result.history.to_csv(folder / "history.csv", index=False)
    result.profiles.to_csv(folder / "profiles.csv", index=False)
    ident = result.identification()
    ident.insert(1, "start", [result.start[p.name] for p in result.free])
    ident.to_csv(folder / "fitted.csv", index=False)
    result.table.to_csv(folder / "table.csv", index=False)
    write_json(folder / "calibration.json", {
        "manifest": manifest(scenario, [], result.seconds, command, replications=replications, targets=targets.path),
        "method": result.method, "evaluations": result.evaluations, "loss": result.loss,
        "start_loss": result.start_loss, "fitted": result.fitted, "start": result.start,
        "bounds": {p.name: [p.low, p.high] for p in result.free}, "scenario_file": scenario_file.name})
    blocks: list[tuple] = [
        ("p", f"Scenario {scenario.name} ({scenario.source}), {scenario.params.population.size:,} people x "
              f"{scenario.params.run.years} years x {replications} replicates per evaluation (the same seeds every "
              f"time); targets {targets.path}; method {result.method}; {result.evaluations} evaluations in "
              f"{result.seconds:.0f} s. Loss {result.start_loss:.4g} at the start, {result.loss:.4g} fitted."),
        ("p", "Loss = sum over targets of weight * ((simulated - observed) / d)^2, d = distance from the observed "
              "value to the edge of the tolerance band on the side of the simulated value."),
        ("p", f"Calibrated scenario: {scenario_file.name}"
              + (f". A loss-profile point (loss {result.loss:.4g}) beat the search optimum (loss "
                 f"{result.search_loss:.4g}) and was taken as the fitted values; the profiles are centred on the "
                 "search optimum." if result.loss < result.search_loss else "")),
        ("h2", "Fitted values and identification"), ("table", ident),
        ("h2", "Calibration targets at the optimum"), ("table", side_by_side(result.table)),
        ("h2", "Figures"),
    ]
    blocks += [("img", p, c) for p, c in calibration_figures(figs, result)]
    render(folder, f"Calibration of {scenario.name}", blocks)
