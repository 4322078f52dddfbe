"""The causal-loop diagram, drawn by Graphviz from ``feedback_loops.CAUSAL_LINKS`` (the links the code uses).

Graphviz lays the graph out once (``sfdp``, a force-directed layout: on these links it draws every loop as a
ring with no crossing links); each loop's R or B marker is then pinned at the centre of its variables and the
picture is drawn with those positions fixed, so the markers sit inside their loops. With a scenario, each link
is shaded by the parameter that sets its gain: darker and thicker the higher that parameter sits in its
declared range; a loop that is switched off has its characteristic link dotted. The model never imports this
module.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from recoverysim.errors import RecoverysimError
from recoverysim.feedback_loops import CAUSAL_LINKS, CausalLink, loop_polarity
from recoverysim.parameters import BARRIERS, LOOPS, PARAMETERS, ROOTS, STAGES

FORMATS = (".png", ".svg")
LOOP_COLOURS = {"peer_role_models": "#1b9e77", "peer_burnout": "#d95f02", "stigma_visibility": "#7570b3",
                "coercion_trauma": "#e7298a", "coercion_mistrust": "#66a61e"}
OUTSIDE_COLOUR = "#888888"
#: Switching a loop off cuts this link and only this one (feedback_loops' module docstring).
CHARACTERISTIC = {"peer_role_models": ("peer workers", "peer availability"),
                  "peer_burnout": ("peer workload", "peer workers leaving"),
                  "stigma_visibility": ("reunion", "shame_pressure"),
                  "coercion_trauma": ("re-traumatisation", "trauma load"),
                  "coercion_mistrust": ("service mistrust", "involuntary admissions")}
#: The parameter that sets each link's gain (links without one are structural and drawn at a fixed shade).
GAINS: dict[tuple[str, str], str] = {
    ("reunion", "peer workers"): "peer.recruitment_rate",
    ("peer workers", "peer availability"): "peer.caseload",
    ("peers_unavailable", "reunion"): "recovery.barrier_strength",
    ("peer workload", "peer workers leaving"): "peer.burnout_rate",
    ("reunion", "shame_pressure"): "stigma.visibility_effect",
    ("shame_pressure", "social_exclusion"): "roots.shame_pressure",
    ("social_exclusion", "reunion"): "recovery.barrier_strength",
    ("coercion", "re-traumatisation"): "crisis.retraumatisation_probability",
    ("re-traumatisation", "trauma load"): "crisis.trauma_load_increment",
    ("trauma load", "crises"): "crisis.trauma_effect",
    ("admissions", "coercion"): "levers.coercion",
    ("coercion", "service mistrust"): "crisis.mistrust_increment",
    ("service mistrust", "involuntary admissions"): "crisis.mistrust_involuntary_effect",
    ("involuntary admissions", "coercion"): "levers.coercion",
    ("service mistrust", "reunion"): "recovery.mistrust_safety_effect",
    ("trauma_insensitivity", "coercion"): "roots.trauma_insensitivity",
    ("advocacy_gap", "admissions"): "roots.advocacy_gap",
    ("psychosocial_gap", "admissions"): "roots.psychosocial_gap",
}
#: Gains that other parameters weaken: (parameter, strength -> strength after it).
DAMPERS: dict[tuple[str, str], tuple[str, Callable[[float, float], float]]] = {
    ("peer workload", "peer workers leaving"): ("peer.organisational_support", lambda s, support: s * (1 - support)),
}


def loop_name(loop: str) -> str:
    """``R1``/``B1``/... as in ``parameters.LOOPS``, checked against the signs of the declared links."""
    code = LOOPS[loop].split()[0]
    kind = "R" if loop_polarity(loop) > 0 else "B"
    if code[0] != kind:
        raise RecoverysimError(f"loop {loop}: declared {code} but its links multiply to {kind}")
    return code


def link_strengths(scenario) -> dict[tuple[str, str], float | None]:
    """Each link's gain parameter as a share of its declared range (0-1); None: structural, 0: loop off."""
    out: dict[tuple[str, str], float | None] = {}
    for link in CAUSAL_LINKS:
        key = (link.cause, link.effect)
        name = GAINS.get(key)
        share = None
        if name:
            p = PARAMETERS[name]
            share = (float(scenario[name]) - p.low) / (p.high - p.low) if p.high > p.low else 1.0
            if key in DAMPERS:
                damper, apply = DAMPERS[key]
                share = apply(share, float(scenario[damper]))
        if link.loop and not scenario[f"loops.{link.loop}"] and CHARACTERISTIC[link.loop] == key:
            share = 0.0
        out[key] = share
    return out


def _label(node: str) -> str:
    return node.replace("_", " ")


def _node_style(node: str) -> dict[str, str]:
    if node in ROOTS:
        return {"shape": "box", "style": "rounded,filled", "fillcolor": "#fde0c5", "tooltip": f"root {node}"}
    if node in BARRIERS:
        return {"shape": "box", "style": "filled", "fillcolor": "#f2f2f2", "tooltip": f"barrier {node}"}
    if node in STAGES:
        return {"shape": "ellipse", "style": "filled", "fillcolor": "#d1e5f0", "tooltip": f"stage {node}"}
    return {"shape": "plaintext", "style": "", "tooltip": node}


def _graph(strengths, positions=None, title: str = ""):
    import graphviz

    g = graphviz.Digraph("causal_loops", engine="neato" if positions else "sfdp")
    g.attr(overlap="false", splines="true", sep="+14", outputorder="edgesfirst", fontname="Helvetica",
           fontsize="11", bgcolor="white", pad="0.3")
    g.attr("node", fontname="Helvetica", fontsize="12", margin="0.08,0.04")
    g.attr("edge", fontname="Helvetica", fontsize="16", arrowsize="0.8")
    nodes = list(dict.fromkeys(n for link in CAUSAL_LINKS for n in (link.cause, link.effect)))
    for node in nodes:
        extra = {"pos": f"{positions[node][0]},{positions[node][1]}!"} if positions else {}
        g.node(node, _label(node), **_node_style(node), **extra)
    seen: set[tuple[str, str]] = set()
    for link in CAUSAL_LINKS:
        key = (link.cause, link.effect)
        if key in seen:  # a link shared by two loops (R1 and B1) is drawn once
            continue
        seen.add(key)
        loops = [x.loop for x in CAUSAL_LINKS if (x.cause, x.effect) == key and x.loop]
        g.edge(link.cause, link.effect, **_edge_style(link, loops, strengths.get(key) if strengths else None,
                                                          strengths is not None))
    if positions:
        g.attr(label=title or KEY, labelloc="t", fontsize="13")
        for loop in LOOPS:
            members = {n for x in CAUSAL_LINKS if x.loop == loop for n in (x.cause, x.effect)}
            x = sum(positions[n][0] for n in members) / len(members)
            y = sum(positions[n][1] for n in members) / len(members)
            kind = "reinforcing" if loop_polarity(loop) > 0 else "balancing"
            label = f'<<font point-size="20"><b>{loop_name(loop)}</b></font><br/>{_label(loop)}>'
            g.node(f"marker_{loop}", label, shape="circle", fixedsize="true", width="1.25", fontsize="10",
                   color=LOOP_COLOURS[loop], fontcolor=LOOP_COLOURS[loop], penwidth="2", style="dashed",
                   pos=f"{x},{y}!", tooltip=f"{loop}: {kind}")
    return g


KEY = ("Causal-loop diagram of recoverysim (drawn from feedback_loops.CAUSAL_LINKS)\\l"
       "+ : both change in the same direction;  − : in opposite directions.  "
       "R: reinforcing loop, B: balancing loop (product of its links' signs).\\l"
       "Blue ellipse: recovery stage; grey box: barrier; orange box: root of barriers; "
       "grey links: outside the loops.\\l")
SHADING = ("Scenario {name}: darker, thicker links have their gain parameter higher in its declared range; "
           "pale links have no single gain parameter; a dotted link is cut (loop switched off).\\l")


def _edge_style(link: CausalLink, loops: list[str], strength: float | None, shaded: bool) -> dict[str, str]:
    colour = LOOP_COLOURS[loops[0]] if loops else OUTSIDE_COLOUR
    if len(loops) > 1:
        colour = ":".join(LOOP_COLOURS[x] for x in loops)  # parallel strokes, one per loop
    sign = "+" if link.sign > 0 else "−"
    style = {"label": f"<<b>{sign}</b>>", "color": colour, "fontcolor": colour.split(":")[0], "penwidth": "1.6",
             "tooltip": f"{link.cause} -> {link.effect} ({sign}) in {link.where}"}
    if shaded:
        if strength is None:
            style["penwidth"] = "1.2"
            style["color"] = ":".join(c + "80" for c in colour.split(":"))
        elif strength == 0.0 and link.loop and CHARACTERISTIC.get(link.loop) == (link.cause, link.effect):
            style.update(style="dotted", color="#999999", penwidth="1.5", tooltip=style["tooltip"] + ": loop off")
        else:
            alpha = f"{int(110 + 145 * min(1.0, strength)):02x}"  # floor: a weak link stays visible
            style["color"] = ":".join(c + alpha for c in colour.split(":"))
            style["penwidth"] = f"{1.0 + 4.0 * min(1.0, strength):.2f}"
            gain = GAINS[(link.cause, link.effect)]
            style["tooltip"] += f"; gain {gain} at {100 * strength:.0f}% of its range"
    return style


def check_output(path: str | Path) -> Path:
    """Raise a one-line error for an output file the diagram cannot be written to (before any drawing)."""
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise RecoverysimError(f"{path}: unknown diagram format {path.suffix or '(none)'!r}; use .png or .svg")
    if not path.parent.is_dir():
        raise RecoverysimError(f"{path}: folder {path.parent} does not exist")
    require_graphviz(f"{path}: ")
    return path


def require_graphviz(where: str = "") -> None:
    """Raise a one-line error when the Graphviz programs the diagram needs are missing."""
    missing = [program for program in ("sfdp", "neato") if shutil.which(program) is None]
    if missing:
        raise RecoverysimError(f"{where}Graphviz is not installed (no {' or '.join(missing)} on PATH); "
                               "install it, e.g. apt-get install graphviz")


def diagram_source(scenario=None) -> str:
    """The diagram as Graphviz source with fixed positions (what ``draw`` renders)."""
    import json

    strengths = link_strengths(scenario) if scenario is not None else None
    layout = json.loads(_graph(strengths).pipe(format="json", encoding="utf-8"))
    positions = {o["name"]: tuple(float(v) / 72 for v in o["pos"].split(",")) for o in layout["objects"]}
    title = KEY + (SHADING.format(name=scenario.name) if scenario is not None else "")
    return _graph(strengths, positions, title).source


def render(scenario=None, fmt: str = "svg") -> bytes:
    """The diagram as PNG or SVG bytes (for pages that show it without a file, e.g. the dashboard)."""
    import graphviz

    if f".{fmt}" not in FORMATS:
        raise RecoverysimError(f"unknown diagram format {fmt!r}; use png or svg")
    require_graphviz()
    source = diagram_source(scenario)
    if fmt == "png":
        source = source.replace("{", "{\n\tdpi=110", 1)  # sharper than Graphviz's 72 dpi default
    return graphviz.Source(source, engine="neato").pipe(format=fmt)


def draw(path: str | Path, scenario=None) -> Path:
    """Write the diagram to ``path`` (.png or .svg); shade links by strength when ``scenario`` is given."""
    path = check_output(path)
    path.write_bytes(render(scenario, path.suffix[1:].lower()))
    return path
