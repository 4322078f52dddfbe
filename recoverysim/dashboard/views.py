"""The dashboard's live views, each a fresh ``matplotlib.figure.Figure`` of one model (never pyplot).

A Figure not registered with pyplot is freed with its last reference, so redrawing every week leaks nothing.
Time is in years on every chart; the page's clock gives the week.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from recoverysim import loop_diagram
from recoverysim.barriers import BARRIER_NAMES
from recoverysim.dashboard.controls import human
from recoverysim.feedback_loops import CAUSAL_LINKS, loop_polarity, peer_leaving_hazard, peer_load
from recoverysim.figures import STAGE_COLOURS
from recoverysim.model import RecoveryModel
from recoverysim.parameters import BARRIERS, LOOPS, STAGES, WEEKS_PER_YEAR

#: People drawn in the network view (the first ones of the population; their ties among themselves).
NETWORK_LIMIT = 400
#: Weeks over which the causal-loop diagram measures recent flows.
RECENT_WEEKS = 13
LOOP_COLOURS = {**loop_diagram.LOOP_COLOURS, None: loop_diagram.OUTSIDE_COLOUR}


def _figure(width: float = 6.0, height: float = 3.4, **margins) -> Figure:
    # Fixed margins: a layout engine would take about half of each redraw, and the page redraws every frame.
    fig = Figure(figsize=(width, height), dpi=90)
    fig.subplots_adjust(**{"left": 0.11, "right": 0.97, "bottom": 0.14, "top": 0.9, "hspace": 0.12, **margins})
    return fig


def _years(frame) -> np.ndarray:
    return frame["week"].to_numpy() / WEEKS_PER_YEAR


def _time_axis(ax, model: RecoveryModel) -> None:
    ax.set_xlim(0, model.weeks / WEEKS_PER_YEAR)
    ax.set_xlabel("years")
    ax.grid(alpha=0.3)


def stage_occupancy(model: RecoveryModel) -> Figure:
    """Share of people in each recovery stage."""
    df, fig = model.recorder.frame(model.week), _figure()
    ax = fig.add_subplot()
    for stage in STAGES:
        ax.plot(_years(df), df[stage] / model.population.size, color=STAGE_COLOURS[stage], label=stage)
    ax.set(ylabel="share of people", ylim=(0, 1), title="Recovery stages")
    _time_axis(ax, model)
    ax.legend(loc="upper right", fontsize=8, frameon=False, ncol=2)
    return fig


def crisis_services(model: RecoveryModel) -> Figure:
    """Crises, admissions and coercive episodes per week; beds in use against bed capacity."""
    df, fig = model.recorder.frame(model.week), _figure(6.0, 4.2, bottom=0.11, top=0.93)
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    for column, label, colour in (("crises", "crises", "#444444"),
                                  ("admissions_voluntary", "voluntary admissions", "#4393c3"),
                                  ("admissions_involuntary", "involuntary admissions", "#d6604d"),
                                  ("coercive_episodes", "coercive episodes (seclusion, restraint)", "#762a83")):
        # a small population's weekly counts are mostly 0 or 1: a 4-week average shows the level
        top.plot(_years(df), df[column].rolling(4, min_periods=1).mean(), color=colour, label=label, lw=1.2)
    top.set(ylabel="per week (4-week average)", title="Crises and the hospital",
            ylim=(0, max(1, top.get_ylim()[1])))
    top.legend(fontsize=7, frameon=False, loc="upper right")
    top.grid(alpha=0.3)
    beds = model.config["levers.bed_capacity"] * model.population.size / 1000
    bottom.plot(_years(df), df["in_hospital"], color="#2166ac", label="beds in use")
    bottom.axhline(beds, color="#999999", ls="--", lw=1, label="bed capacity")
    bottom.set(ylabel="people", ylim=(0, max(beds, df["in_hospital"].max()) * 1.15 + 1))
    bottom.legend(fontsize=7, frameon=False, loc="lower right")
    _time_axis(bottom, model)
    return fig


def peer_workforce(model: RecoveryModel) -> Figure:
    """Peer workers and the share of people in reach of peer support."""
    df, fig = model.recorder.frame(model.week), _figure(right=0.87)
    ax = fig.add_subplot()
    ax.plot(_years(df), df["peer_workers"], color="#1b9e77", label="peer workers")
    ax.set(ylabel="peer workers", title="Peer workforce", ylim=(0, max(5, df["peer_workers"].max() * 1.2)))
    share = ax.twinx()
    share.plot(_years(df), df["peer_availability"], color="#7570b3", ls="--", label="peer availability (share)")
    share.set(ylabel="share in reach of peers", ylim=(0, max(0.2, df["peer_availability"].max() * 1.2)))
    _time_axis(ax, model)
    ax.legend(handles=[*ax.get_lines(), *share.get_lines()], fontsize=8, frameon=False, loc="upper left")
    return fig


def barrier_levels(model: RecoveryModel) -> Figure:
    """Mean barrier level felt, each barrier coloured by the stage it blocks."""
    df, fig = model.recorder.frame(model.week), _figure(6.0, 3.8)
    ax = fig.add_subplot()
    styles = ("-", "--", ":")
    seen: dict[str, int] = {}
    for barrier in BARRIER_NAMES:
        stage = BARRIERS[barrier]
        k = seen[stage] = seen.get(stage, -1) + 1
        ax.plot(_years(df), df[f"barrier_{barrier}"], color=STAGE_COLOURS[stage], ls=styles[k],
                label=f"{human(barrier).lower()} (blocks {stage})")
    ax.set(ylabel="mean level felt (0-1)", ylim=(0, 1), title="Barriers")
    _time_axis(ax, model)
    ax.legend(fontsize=6.5, frameon=False, loc="lower left", ncol=2)
    return fig


def network_layout(model: RecoveryModel) -> dict:
    """Positions of the first ``NETWORK_LIMIT`` people and their professionals (computed once per model)."""
    n = min(model.population.size, NETWORK_LIMIT)
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    prof = model.network.ties["professional"]
    live = (prof.active == 1) & (prof.row < n)
    graph.add_edges_from(zip(prof.row[live].tolist(), (f"p{c}" for c in prof.col[live].tolist()), strict=True))
    for a, b in _peer_pairs(model, n):
        graph.add_edge(a, b)
    return nx.spring_layout(graph, seed=1, iterations=60, k=1.5 / np.sqrt(max(graph.number_of_nodes(), 1)))


def _peer_pairs(model: RecoveryModel, n: int) -> list[tuple[int, int]]:
    peer = model.network.ties["peer"]
    live = (peer.active == 1) & (peer.row < n) & (peer.col < n)
    return list(zip(peer.row[live].tolist(), peer.col[live].tolist(), strict=True))


def relationship_network(model: RecoveryModel, layout: dict, chosen: int | None = None) -> Figure:
    """People on their relationship network, coloured by stage; professionals grey, peer ties green."""
    fig = _figure(6.0, 5.0, left=0.01, right=0.99, bottom=0.1, top=0.94)
    ax = fig.add_subplot()
    n = min(model.population.size, NETWORK_LIMIT)
    prof = model.network.ties["professional"]
    live = (prof.active == 1) & (prof.row < n)
    # one LineCollection per tie type: hundreds of separate lines would take most of the drawing time
    professional = [(layout[person], layout[f"p{alter}"])
                    for person, alter in zip(prof.row[live].tolist(), prof.col[live].tolist(), strict=True)
                    if f"p{alter}" in layout]
    ax.add_collection(LineCollection(professional, colors="#dddddd", linewidths=0.5, zorder=1))
    peers = [(layout[a], layout[b]) for a, b in _peer_pairs(model, n)]
    ax.add_collection(LineCollection(peers, colors="#1b9e77", linewidths=1.2, zorder=2))
    hubs = np.array([p for k, p in layout.items() if isinstance(k, str)]).reshape(-1, 2)
    ax.scatter(hubs[:, 0], hubs[:, 1], marker="s", s=40, color="#888888", zorder=3)
    pop = model.population
    xy = np.array([layout[i] for i in range(n)])
    ties = model.network.degree("family")[:n] + model.network.degree("community")[:n]
    colours = [STAGE_COLOURS[STAGES[s]] for s in pop.stage[:n]]
    ax.scatter(xy[:, 0], xy[:, 1], s=10 + 6 * ties, c=colours, edgecolors=np.where(pop.in_hospital[:n], "k", "none"),
               linewidths=1.0, zorder=4)
    workers = np.flatnonzero(pop.peer_worker[:n])
    ax.scatter(xy[workers, 0], xy[workers, 1], marker="*", s=90, color="#1b9e77", zorder=5)
    if chosen is not None and 0 <= chosen < n:
        ax.scatter(*xy[chosen], s=260, facecolors="none", edgecolors="#ffbf00", linewidths=2.5, zorder=6)
        ax.annotate(f"person {chosen}", xy[chosen], xytext=(8, 8), textcoords="offset points", fontsize=8)
    handles = [Line2D([], [], marker="o", ls="", color=STAGE_COLOURS[s], label=s) for s in STAGES]
    handles += [Line2D([], [], marker="o", ls="", mfc="white", mec="k", label="in hospital"),
                Line2D([], [], marker="*", ls="", color="#1b9e77", label="peer worker", ms=10),
                Line2D([], [], marker="s", ls="", color="#888888", label="professional"),
                Line2D([], [], color="#1b9e77", label="peer tie")]
    ax.legend(handles=handles, fontsize=7, frameon=False, loc="upper center", bbox_to_anchor=(0.5, 0), ncol=4)
    shown = f"first {n} of {pop.size} people" if n < pop.size else f"all {n} people"
    ax.set_title(f"Relationship network ({shown}; size = family and community ties)", fontsize=9)
    ax.set_axis_off()
    return fig


# --- causal-loop diagram --------------------------------------------------------------------------------


def _recent(model: RecoveryModel, column: str) -> float:
    df = model.recorder.frame(model.week)
    return float(df[column].iloc[-RECENT_WEEKS:].sum())


def link_strengths(model: RecoveryModel) -> list[float]:
    """Current strength (0-1) of each link of ``CAUSAL_LINKS``: 0 when its loop is switched off.

    A link through which a share of cases passes is shaded by that share over the last ``RECENT_WEEKS``
    weeks (crises admitted, admissions coerced, coercive episodes that re-traumatise); any other link by the
    current level of its cause on a 0-1 scale.
    """
    size, levers = model.population.size, model.levers
    df = model.recorder.frame(model.week)
    latest = df.iloc[-1]
    caseload = model.config["peer.caseload"]
    workers = float(latest["peer_workers"])
    reunion = float(latest["reunion"]) / size
    availability = float(levers["peer_availability"][0])
    demand = availability * size * (1 - reunion)
    hazard = peer_leaving_hazard(model.config["peer.turnover_rate"], model.config["peer.burnout_rate"],
                                 model.config["peer.organisational_support"], demand, workers, caseload,
                                 model.config["loops.peer_burnout"], model.config["peer.max_load"])
    admissions = _recent(model, "admissions_voluntary") + _recent(model, "admissions_involuntary")
    coercive = _recent(model, "coercive_episodes")
    level = {
        "reunion": reunion,
        "peer workers": min(1.0, workers * caseload / size),
        "peer availability": availability,
        "peers_unavailable": float(latest["barrier_peers_unavailable"]),
        "demand for peer support": availability * (1 - reunion),
        "peer workload": (min(1.0, float(peer_load(demand, workers, caseload, model.config["peer.max_load"])) / 2)
                          if workers else 0.0),
        "peer workers leaving": min(1.0, float(np.asarray(hazard).item())),
        "shame_pressure": float(latest["shame_pressure"]),
        "social_exclusion": float(latest["barrier_social_exclusion"]),
        "trauma load": min(1.0, float(latest["mean_trauma_load"])),
        "crises": min(1.0, admissions / max(_recent(model, "crises"), 1.0)),
        "admissions": min(1.0, coercive / max(admissions, 1.0)),
        "coercion": min(1.0, _recent(model, "retraumatisations") / max(coercive, 1.0)),
        "re-traumatisation": 1.0,
        "service mistrust": min(1.0, float(latest["mean_service_mistrust"])),
        "involuntary admissions": min(1.0, coercive / max(admissions, 1.0)),
        **{root: float(value[0]) for root, value in model.roots.items()},
    }
    return [0.0 if link.loop and not model.config[f"loops.{link.loop}"] else level.get(link.cause, 0.5)
            for link in CAUSAL_LINKS]


_DIAGRAM_LAYOUT = nx.kamada_kawai_layout(nx.Graph([(link.cause, link.effect) for link in CAUSAL_LINKS]))


def causal_loops(model: RecoveryModel) -> Figure:
    """The causal-loop diagram of ``feedback_loops.CAUSAL_LINKS``, each link shaded by its current strength."""
    fig = _figure(7.5, 6.0, left=0.01, right=0.99, bottom=0.07, top=0.95)
    ax = fig.add_subplot()
    for link, strength in zip(CAUSAL_LINKS, link_strengths(model), strict=True):
        (x0, y0), (x1, y1) = _DIAGRAM_LAYOUT[link.cause], _DIAGRAM_LAYOUT[link.effect]
        off = link.loop and not model.config[f"loops.{link.loop}"]
        colour = LOOP_COLOURS[link.loop]
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                    arrowprops=dict(arrowstyle="-|>", color=colour, alpha=0.15 + 0.85 * strength,
                                    lw=0.8 + 3.2 * strength, ls=":" if off else "-", shrinkA=14, shrinkB=14,
                                    connectionstyle="arc3,rad=0.12"))
        ax.text((x0 + x1) / 2, (y0 + y1) / 2, "+" if link.sign > 0 else "\u2212", color=colour, fontsize=11,
                ha="center", va="center", fontweight="bold")
    for node, (x, y) in _DIAGRAM_LAYOUT.items():
        ax.text(x, y, human(node).lower() if "_" in node else node, ha="center", va="center", fontsize=8,
                bbox=dict(boxstyle="round", fc="white", ec="#444444", lw=0.6), zorder=5)
    handles = [Line2D([], [], color=LOOP_COLOURS[loop], lw=2,
                      label=f"{LOOPS[loop].split()[0]} {human(loop).lower()}"
                            f"{' (off)' if not model.config[f'loops.{loop}'] else ''}")
               for loop in LOOPS if loop_polarity(loop)]
    ax.legend(handles=handles, fontsize=8, frameon=False, loc="upper center", bbox_to_anchor=(0.5, 0), ncol=4)
    ax.set_title("Causal loops: darker, thicker links are stronger now; dotted links are switched off",
                 fontsize=9)
    xy = np.array(list(_DIAGRAM_LAYOUT.values()))
    (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
    ax.set(xlim=(x0 - 0.2, x1 + 0.2), ylim=(y0 - 0.1, y1 + 0.1))
    ax.set_axis_off()
    return fig
