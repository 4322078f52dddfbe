"""The comparison report: figures, and one self-contained HTML file (plus Markdown) for policy readers.

The report is built once as a list of blocks (headings, paragraphs, tables, figures) and rendered twice:
``report.html`` embeds every figure as a base64 PNG so it can be mailed or opened offline, and ``report.md``
links the PNG files in ``figures/``.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
from pathlib import Path

import matplotlib
import numpy as np

from recoverysim.figures import draw_stage_occupancy, panel_grid, save_figure, subplots
from recoverysim.outcomes import KEY_OUTCOMES, OUTCOMES, fmt_diff, fmt_value, verdict  # noqa: F401
from recoverysim.parameters import PAPER, WEEKS_PER_YEAR
from recoverysim.reform_evidence import PROXIMAL_EFFECTS
from recoverysim.report_summary import human, level_text, summary_blocks

#: Outcome used to picture what common random numbers do to an interval.
CRN_FIGURE_OUTCOME = "share_reunion_end"
FIGURES = {
    "stage_occupancy.png": "Share of people in each recovery stage over time, one panel per scenario (line: median "
                           "over replicates; band: 5-95% of replicates).",
    "occupancy_difference.png": "Difference from the base in the share of people in reunion (left) and in "
                                "discontinuity (right), with 95% intervals of the paired difference.",
    "forest.png": "Effect of each scenario compared with the base on key outcomes: dot = mean paired difference, "
                  "bar = 95% interval. A bar that crosses the dashed zero line means no clear difference.",
    "time_to_reunion.png": "Share of people (who started below reunion) not yet reaching reunion, by years since "
                           "the start (median over replicates).",
    "ceac.png": "Cost-effectiveness acceptability curves: at each willingness to pay (yen per unit of effect), the "
                "share of paired runs (or uncertainty draws) in which the scenario's net monetary benefit is "
                "positive.",
    "crn_intervals.png": "The same effect on the share in reunion at the end, estimated with paired runs (common "
                         "random numbers) and with independent seeds: pairing gives the narrower interval.",
}


# --- figures ------------------------------------------------------------------------------------------


def _colours(names: list[str]) -> dict[str, str]:
    cmap = matplotlib.colormaps["tab10"]
    return {n: ("#222222" if i == 0 else matplotlib.colors.to_hex(cmap((i - 1) % 10))) for i, n in enumerate(names)}


def occupancy_grid(comparison, path: Path) -> Path:
    """Stage occupancy per scenario, as small multiples."""
    results = [comparison.base, *comparison.others]
    fig, axes = panel_grid(len(results), 3, (4.2, 3.0), sharex=True, sharey=True)
    for ax, res in zip(axes.flat, results, strict=False):
        draw_stage_occupancy(ax, res.timeseries)
        ax.set_title(res.scenario.name + (" (base)" if res is comparison.base else ""), fontsize=10)
        ax.set_ylim(0, 1)
        ax.grid(alpha=0.3)
    for ax in axes[-1]:
        ax.set_xlabel("years")
    for ax in axes[:, 0]:
        ax.set_ylabel("share of people")
    axes.flat[0].legend(loc="upper right", fontsize=8, frameon=False)
    return save_figure(fig, path)


def occupancy_difference(comparison, path: Path) -> Path:
    """Paired difference in the share in reunion and in discontinuity over time."""
    occ = comparison.occupancy
    colours = _colours([s.name for s in comparison.scenarios])
    fig, axes = subplots(1, 2, figsize=(11, 4.2), sharex=True)
    for ax, stage in zip(axes, ("reunion", "discontinuity"), strict=True):
        for other in comparison.others:
            name = other.scenario.name
            d = occ[(occ["scenario"] == name) & (occ["stage"] == stage)]
            years = d["week"].to_numpy() / WEEKS_PER_YEAR
            ax.plot(years, 100 * d["difference"], color=colours[name], label=name)
            ax.fill_between(years, 100 * d["ci_low"], 100 * d["ci_high"], color=colours[name], alpha=0.15, lw=0)
        ax.axhline(0, color="#555555", lw=0.8, ls="--")
        ax.set(xlabel="years", ylabel="difference (percentage points)", title=f"share in {stage} vs base")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8, frameon=False)
    return save_figure(fig, path)


def forest(comparison, path: Path) -> Path:
    """Forest plot: one panel per key outcome, one row per scenario."""
    diff = comparison.differences
    names = [r.scenario.name for r in comparison.others]
    colours = _colours([s.name for s in comparison.scenarios])
    ncol = 4
    nrow = -(-len(KEY_OUTCOMES) // ncol)
    fig, axes = subplots(nrow, ncol, figsize=(16, 0.35 * len(names) * nrow + 1.6 * nrow), squeeze=False)
    y = np.arange(len(names))[::-1]
    for ax, metric in zip(axes.flat, KEY_OUTCOMES, strict=False):
        d = diff[diff["metric"] == metric].set_index("scenario").loc[names]
        scale = 100 if OUTCOMES[metric].unit == "share" else 1
        err = np.vstack([d["difference"] - d["ci_low"], d["ci_high"] - d["difference"]]) * scale
        for k, name in enumerate(names):
            ax.errorbar(d["difference"].iloc[k] * scale, y[k], xerr=err[:, k:k + 1], fmt="o", color=colours[name],
                        capsize=3, ms=4)
        ax.axvline(0, color="#555555", lw=0.8, ls="--")
        ax.set_yticks(y, names if ax in axes[:, 0] else [""] * len(names), fontsize=8)
        unit = "percentage points" if scale == 100 else OUTCOMES[metric].unit
        better = OUTCOMES[metric].better
        ax.set_title(f"{metric}\n({unit}; {better} is better)" if better != "neither" else f"{metric}\n({unit})",
                     fontsize=8)
        ax.grid(alpha=0.3, axis="x")
    for ax in axes.flat[len(KEY_OUTCOMES):]:
        ax.axis("off")
    return save_figure(fig, path)


def time_to_reunion(comparison, path: Path) -> Path:
    """Kaplan-Meier style curves of not yet reaching reunion, one per scenario."""
    colours = _colours([s.name for s in comparison.scenarios])
    fig, ax = subplots(figsize=(8, 4.5))
    for res in (comparison.base, *comparison.others):
        surv = res.survival
        sub = surv[surv["stage"] == "reunion"].groupby("week")["not_reached"].median()
        ax.step(np.asarray(sub.index) / WEEKS_PER_YEAR, sub.to_numpy(), where="post", color=colours[res.scenario.name],
                lw=2.2 if res is comparison.base else 1.3, label=res.scenario.name)
    low = min(line.get_ydata().min() for line in ax.get_lines())
    ax.set(xlabel="years", ylabel="share not yet in reunion", ylim=(max(0.0, low - 0.1), 1.0), title="Time to reunion")
    ax.legend(fontsize=8, frameon=False, loc="lower left")
    ax.grid(alpha=0.3)
    return save_figure(fig, path)


def crn_intervals(comparison, path: Path) -> Path:
    """Paired (CRN) vs independent-seed interval of the same effect, per scenario."""
    crn = comparison.crn[comparison.crn["metric"] == CRN_FIGURE_OUTCOME]
    names = list(crn["scenario"])
    fig, ax = subplots(figsize=(8, 0.45 * len(names) + 1.5))
    y = np.arange(len(names))[::-1]
    scale = 100 if OUTCOMES[CRN_FIGURE_OUTCOME].unit == "share" else 1
    for k, row in enumerate(crn.itertuples()):
        for dy, d, w, colour, label in ((0.15, row.difference_crn, row.width_crn, "#2166ac", "paired (CRN)"),
                                        (-0.15, row.difference_independent, row.width_independent, "#b2182b",
                                         "independent seeds")):
            ax.errorbar(d * scale, y[k] + dy, xerr=w / 2 * scale, fmt="o", color=colour, capsize=3, ms=4,
                        label=label if k == 0 else None)
    ax.axvline(0, color="#555555", lw=0.8, ls="--")
    ax.set_yticks(y, names, fontsize=8)
    unit = "percentage points" if scale == 100 else OUTCOMES[CRN_FIGURE_OUTCOME].unit
    ax.set(xlabel=f"difference in {CRN_FIGURE_OUTCOME} ({unit})", title="What pairing the runs does to the interval")
    ax.legend(fontsize=8, frameon=False)
    ax.grid(alpha=0.3, axis="x")
    return save_figure(fig, path)


def draw_figures(comparison, folder: Path) -> dict[str, Path]:
    """Every report figure, written to ``folder`` (file name -> path)."""
    folder.mkdir(parents=True, exist_ok=True)
    drawers = {"stage_occupancy.png": occupancy_grid, "occupancy_difference.png": occupancy_difference,
               "forest.png": forest, "time_to_reunion.png": time_to_reunion}
    if comparison.independent:
        drawers["crn_intervals.png"] = crn_intervals
    return {name: draw(comparison, folder / name) for name, draw in drawers.items()}


# --- content ------------------------------------------------------------------------------------------


def _reforms_text(scenario) -> str:
    if not scenario.reforms:
        return "none"
    parts = []
    for r in scenario.reforms:
        e = PROXIMAL_EFFECTS[r.name]
        text = (f"{r.name} (from year {r.start_year:g}, over {r.ramp_years:g} y, reaching {100 * r.coverage:.0f}% "
                f"of {e.reached}; {e.measure} {r.effect:g} on the {e.quantity}")
        parts.append(text + (f", capacity {r.capacity:g})" if r.capacity else ")"))
    return "; ".join(parts)


def build_blocks(comparison, figures: list[str], date: str, paper: str) -> list[tuple]:
    """The report as blocks: (h1|h2|h3|p|note, text), (ul, items), (table, css, header, rows), (fig, name)."""
    from recoverysim import __version__

    base = comparison.base.scenario
    others = [r.scenario for r in comparison.others]
    n, years, reps = base["population.size"], base["run.years"], comparison.replications
    b: list[tuple] = [
        ("h1", f"What would change? {', '.join(human(s.name) for s in others)} compared with {human(base.name)}"),
        ("note", f"recoverysim {__version__}, {date}. {n:,} simulated people, {years} years, {reps} replicates, "
                 f"root seed {comparison.seed}. Source model: {paper}."),
        *summary_blocks(comparison),
        ("h2", "What was compared"),
        ("p", f"Each scenario below was simulated {reps} times (replicates) with the same {n:,} people over {years} "
              "years. Replicate 1 of every scenario used the same random numbers, replicate 2 the same, and so on "
              "(common random numbers): the same people have the same chance events wherever the scenarios do not "
              "differ. The effect of a scenario is therefore measured inside each replicate, as the scenario's value "
              f"minus the value of {base.name}, and then averaged over replicates with a 95% interval."),
        ("table", "scenarios", ["scenario", "role", "what it represents", "reforms", "file"],
         [[s.name, "base" if s is base else "compared", s.description or "-", _reforms_text(s), s.source]
          for s in (base, *others)]),
        ("h2", "Pictures"),
        *[("fig", f) for f in figures],
    ]
    b += _uncertainty_blocks(comparison)
    b += _limits_blocks(paper)
    b += [
        ("h2", "Appendix: all headline outcomes"),
        ("p", "One table per scenario. 'Base' and 'scenario' are means over replicates; 'difference' is the "
              "mean paired difference with its 95% interval (chance only); 'reading' says whether that interval lies "
              "on the favourable side of zero ('better'), the other side ('worse') or includes it; 'relative "
              "change' is the difference as a share of the base. Stage occupancy for every year is in "
              "differences.csv (share_<stage>_year_<y>) and "
              "week by week in occupancy_differences.csv."),
    ]
    diff = comparison.differences
    for s in others:
        rows = []
        for row in diff[(diff["scenario"] == s.name) & diff["metric"].isin(list(OUTCOMES))].itertuples():
            m = row.metric
            rel = "n/a" if row.relative_change != row.relative_change else f"{100 * row.relative_change:+.1f}%"
            rows.append([m, OUTCOMES[m].description, level_text(row.base_mean, m, years),
                         level_text(row.scenario_mean, m, years),
                         fmt_diff(row.difference, m), f"[{fmt_diff(row.ci_low, m)}, {fmt_diff(row.ci_high, m)}]",
                         rel, verdict(m, row.ci_low, row.ci_high)])
        b += [("h3", f"{s.name} vs {base.name}"),
              ("table", "differences", ["outcome", "meaning", "base", "scenario", "difference", "95% interval",
                                        "relative change", "reading"], rows)]
    return b + _crn_blocks(comparison)


def _limits_blocks(paper: str) -> list[tuple]:
    return [
        ("h2", "Assumptions and limits"),
        ("ul", [
            f"The model's structure (recovery stages, barriers, their roots and the reforms) follows {paper}, "
            "a qualitative study; the numbers that make it run are modelling choices. Read the results as what "
            "these assumptions imply, not as forecasts.",
            "Each reform reaches a share of people (its coverage, reached gradually over its ramp years) and "
            "changes one proximal quantity for them by an effect taken from trials or meta-analyses where they "
            "exist (recoverysim describe lists each with its source and interval); the three social-cultural "
            "reforms remove an assumed share of their root. Coverage is assumed in every scenario.",
            "The Japan baseline is a stylised hospital-centred system. Its fit to Japanese statistics is rough: "
            "official bed figures include long-stay and dementia beds, and the model's stages do not match the "
            "paper's categories exactly.",
            "Reforms interact through the system (for example, shorter stays free beds, so more crises can end "
            "in admission), so a package need not equal the sum of its parts.",
            "Costs are the unit costs of data/costs/ (docs/costs.md), discounted at the file's rate: the bed-day "
            "and the community crisis contact come from the Japanese fee schedule, most others are assumed with "
            "ranges that the comparison does not vary; price years differ (2012 and 2024) and are not inflated. "
            "Outpatient care, drugs outside hospital, housing, informal care and productivity are not costed.",
        ]),
        ("h2", "Files in this folder"),
        ("ul", ["differences.csv: every outcome and yearly stage share, per scenario, with paired 95% intervals",
                "occupancy_differences.csv: weekly paired differences in each stage's share",
                "crn.csv: interval widths with paired and with independent seeds, and the variance-reduction ratio",
                "cost_effectiveness.csv: net cost and cost per unit of each effect, per scenario; ceac.csv: the "
                "acceptability curves",
                "uncertainty.csv, uncertainty_draws.csv, uncertainty_sources.csv (with uncertainty draws): each "
                "effect over the draws, every draw's inputs and effects, and the share of each effect's variance "
                "explained by each input",
                "runs/<scenario>/: each scenario's own run folder (manifest, time series, summaries, figures)",
                "figures/: the pictures above as PNG files; manifest.json: seeds, files and settings"]),
    ]


def _uncertainty_blocks(comparison) -> list[tuple]:
    reps = comparison.replications
    return [
        ("h2", "How sure are we?"),
        ("p", f"The intervals of the appendix tables show how much the results vary from one simulated replicate "
              f"to another ({reps} replicates): the chance element of the simulation. More replicates make them "
              "narrower."),
        *_effect_uncertainty_blocks(comparison),
    ]


def _crn_blocks(comparison) -> list[tuple]:
    crn = comparison.crn
    if crn.empty:
        return [("p", "This comparison was run without the independent-seed check.")]
    ratio = crn["variance_reduction"].replace([np.inf, -np.inf], np.nan).dropna()
    width = crn["width_ratio"].replace([np.inf, -np.inf], np.nan).dropna()
    return [
        ("h2", "Appendix: what pairing the runs buys"),
        ("p", "Running every scenario on the same random numbers (pairing) removes most of the chance "
              "differences between scenarios. To show how much, the compared scenarios were also run a second "
              "time with unrelated seeds and compared with the base without pairing. Over all outcomes and "
              f"scenarios, pairing made the 95% interval a median {width.median():.1f} times narrower; the "
              f"median variance-reduction ratio was {ratio.median():.1f}, meaning that independent runs would "
              f"need about {ratio.median():.0f} times as many replicates for the same precision."),
        ("table", "crn", ["scenario", "outcome", "effect (paired)", "interval width (paired)",
                          "effect (independent)", "interval width (independent)", "width ratio",
                          "variance reduction"],
         [[r.scenario, r.metric, fmt_diff(r.difference_crn, r.metric), fmt_diff(r.width_crn, r.metric).lstrip("+"),
           fmt_diff(r.difference_independent, r.metric), fmt_diff(r.width_independent, r.metric).lstrip("+"),
           f"{r.width_ratio:.2f}", f"{r.variance_reduction:.1f}"]
          for r in crn[crn["metric"].isin(KEY_OUTCOMES)].itertuples()]),
    ]




def _effect_uncertainty_blocks(comparison) -> list[tuple]:
    effects = comparison.effects
    if effects is None:
        return [("p", "Every interval above holds chance (Monte Carlo) uncertainty only: the parameters are fixed at "
                      "the scenario's values and the reforms' effects at their evidence's central values. Run with "
                      "--posterior FILE --draws K (or --effect-uncertainty) to include their uncertainty.")]
    rows = effects[effects["metric"].isin(KEY_OUTCOMES)]
    draws = int(rows["draws"].max()) if len(rows) else 0
    source = (f" Parameter sets are drawn from the posterior ensemble {comparison.posterior.get('file')} "
              f"({comparison.posterior.get('method')}, {comparison.posterior.get('date')})."
              if comparison.posterior else " The parameters stay at the scenario's values.")
    return [
        ("p", f"Uncertainty draws ({comparison.uncertainty}): every scenario was run {draws} more times; draw k "
              "uses the same parameter set, the same draw of each reform's effect from its evidence "
              "(recoverysim/reform_evidence.py) and the same seed in every scenario." + source +
              " The uncertainty interval is the 2.5% to 97.5% range of the per-draw paired differences, so it "
              "holds all of those together; the probability of benefit is the share of draws in which the "
              "scenario did better than the base. The chance-only interval is the 95% interval of the mean effect "
              "at the scenario's own values."),
        ("table", "effects", ["scenario", "outcome", "effect, chance only (95% CI of the mean)",
                              f"effect over draws (95% uncertainty interval: {comparison.uncertainty})",
                              "probability of benefit"],
         [[r.scenario, r.metric, f"{fmt_diff(r.difference, r.metric)} [{fmt_diff(r.ci_low, r.metric)}, "
           f"{fmt_diff(r.ci_high, r.metric)}]", f"{fmt_diff(r.difference_over_draws, r.metric)} "
           f"[{fmt_diff(r.uncertainty_low, r.metric)}, {fmt_diff(r.uncertainty_high, r.metric)}]",
           "-" if np.isnan(r.probability_of_benefit) else f"{r.probability_of_benefit:.2f}"]
          for r in rows.itertuples()]),
        *_sources_blocks(comparison),
        *_value_of_information_blocks(comparison),
    ]


def _value_of_information_blocks(comparison) -> list[tuple]:
    table = comparison.evppi
    if table is None or table.empty:
        return []
    rows = []
    for (scenario, effect), g in table.groupby(["scenario", "effect"], sort=False):
        top = g.sort_values("evppi_per_person", ascending=False).head(2)
        rows.append([scenario, effect, f"{g['wtp'].iloc[0]:,.0f}", f"{g['evpi_per_person'].iloc[0]:,.0f}",
                     "; ".join(f"{r.input} {r.evppi_per_person:,.0f}" for r in top.itertuples())])
    return [
        ("p", "What more evidence would be worth (expected value of information, yen per simulated person over "
              "the horizon, discounted): for each scenario and effect with a cost per unit, at a willingness to "
              "pay equal to that cost per unit (where the decision is closest), the value of knowing every drawn "
              "input and chance perfectly (EVPI) and of knowing one input (EVPPI, regression estimate after "
              "Strong, Oakley and Brennan 2014). evppi.csv has every input."),
        ("table", "evppi", ["scenario", "effect", "willingness to pay (yen per unit)", "EVPI per person",
                            "largest EVPPI per person"], rows),
    ]


def _sources_blocks(comparison) -> list[tuple]:
    """Which drawn input explains most of each key effect's spread over the draws."""
    from recoverysim.value_of_information import MIN_DRAWS

    sources = comparison.sources
    if sources is None or sources["variance_share"].isna().all():
        return [("p", f"Which input drives each effect's uncertainty needs at least {MIN_DRAWS} draws with "
                      "varying inputs (uncertainty_sources.csv is empty).")]
    rows = []
    for (scenario, metric), g in sources.groupby(["scenario", "metric"], sort=False):
        every = g[g["input"] == "all inputs"]["variance_share"].iloc[0]
        grouped = g["input"].str.endswith("(together)")
        single = g[(g["input"] != "all inputs") & ~grouped].sort_values("variance_share", ascending=False).head(2)
        groups = "; ".join(f"{r.input.removesuffix(' (together)')} {100 * r.variance_share:.0f}%"
                           for r in g[grouped].itertuples() if np.isfinite(r.variance_share))
        top = "; ".join(f"{r.input} {100 * r.variance_share:.0f}%" for r in single.itertuples()
                        if np.isfinite(r.variance_share))
        rows.append([scenario, metric, top or "-", groups or "-", "-" if np.isnan(every) else f"{100 * every:.0f}%",
                     "-" if np.isnan(every) else f"{100 * (1 - every):.0f}%"])
    return [
        ("p", "What drives the uncertainty: the share of each effect's variance over the draws explained by one "
              "drawn input alone (a regression on an additive spline of the input; Strong, Oakley and Brennan "
              "2014), the share explained by all drawn inputs together, and the rest, which is chance (one run "
              "per draw) and interactions. uncertainty_sources.csv has every input; uncertainty_draws.csv every "
              "draw."),
        ("table", "sources", ["scenario", "outcome", "largest single inputs", "by group", "all drawn inputs",
                              "chance and interactions"], rows),
    ]


# --- rendering ----------------------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;
color:#222;line-height:1.5}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.8em}
table{border-collapse:collapse;margin:.8em 0;font-size:.88em}
th,td{border:1px solid #ccc;padding:.25em .55em;text-align:left}th{background:#f2f2f2}
td.better{background:#e3f1e3}td.worse{background:#f8e0e0}
figure{margin:1.2em 0}figure img{max-width:100%;border:1px solid #ddd}figcaption{font-size:.9em;color:#444}
.note{font-size:.9em;color:#555}
"""

_VERDICT_CLASS = {"better": "better", "worse": "worse"}


def render_html(blocks: list[tuple], figures: dict[str, Path]) -> str:
    """Self-contained HTML: figures embedded as base64 PNG."""
    esc = html.escape
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           "<title>recoverysim scenario comparison</title>", f"<style>{_CSS}</style></head><body>"]
    for block in blocks:
        kind = block[0]
        if kind in ("h1", "h2", "h3"):
            out.append(f"<{kind}>{esc(block[1])}</{kind}>")
        elif kind == "p":
            out.append(f"<p>{esc(block[1])}</p>")
        elif kind == "note":
            out.append(f'<p class="note">{esc(block[1])}</p>')
        elif kind == "ul":
            out.append("<ul>" + "".join(f"<li>{esc(i)}</li>" for i in block[1]) + "</ul>")
        elif kind == "table":
            _, css, header, rows = block
            out.append(f'<table class="{css}"><thead><tr>' + "".join(f"<th>{esc(h)}</th>" for h in header)
                       + "</tr></thead><tbody>")
            for row in rows:
                cells = "".join(f'<td class="{_VERDICT_CLASS.get(c, "")}">{esc(str(c))}</td>'
                                if c in _VERDICT_CLASS else f"<td>{esc(str(c))}</td>" for c in row)
                out.append(f"<tr>{cells}</tr>")
            out.append("</tbody></table>")
        elif kind == "fig":
            name = block[1]
            if name not in figures:
                continue
            data = base64.b64encode(figures[name].read_bytes()).decode("ascii")
            out.append(f'<figure><img src="data:image/png;base64,{data}" alt="{esc(name)}">'
                       f"<figcaption>{esc(FIGURES[name])}</figcaption></figure>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def render_markdown(blocks: list[tuple], figures: dict[str, Path]) -> str:
    """Markdown with figures linked from ``figures/``."""
    out: list[str] = []
    for block in blocks:
        kind = block[0]
        if kind in ("h1", "h2", "h3"):
            out += ["#" * int(kind[1]) + " " + block[1], ""]
        elif kind in ("p", "note"):
            out += [block[1], ""]
        elif kind == "ul":
            out += [f"- {i}" for i in block[1]] + [""]
        elif kind == "table":
            _, _css, header, rows = block
            cell = lambda c: str(c).replace("|", "\\|")  # noqa: E731
            out.append("| " + " | ".join(map(cell, header)) + " |")
            out.append("|" + "---|" * len(header))
            out += ["| " + " | ".join(map(cell, r)) + " |" for r in rows]
            out.append("")
        elif kind == "fig" and block[1] in figures:
            out += [f"![{block[1]}](figures/{block[1]})", "", f"*{FIGURES[block[1]]}*", ""]
    return "\n".join(out).rstrip() + "\n"


def write_report(comparison, folder: Path) -> dict[str, Path]:
    """Draw the figures into ``folder/figures`` and write ``report.html`` and ``report.md``."""
    figures = draw_figures(comparison, folder / "figures")
    if (folder / "figures" / "ceac.png").is_file():  # drawn with the cost-effectiveness tables
        figures["ceac.png"] = folder / "figures" / "ceac.png"
    blocks = build_blocks(comparison, list(figures), _dt.date.today().isoformat(), PAPER)
    (folder / "report.html").write_text(render_html(blocks, figures), encoding="utf-8")
    (folder / "report.md").write_text(render_markdown(blocks, figures), encoding="utf-8")
    return figures
