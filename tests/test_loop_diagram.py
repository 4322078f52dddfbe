"""The causal-loop diagram: one arrow per declared link with its sign, R/B markers, shading, clean CLI errors."""

import re
import shutil

import pytest

from recoverysim import loop_diagram
from recoverysim.cli import main
from recoverysim.feedback_loops import CAUSAL_LINKS
from recoverysim.scenario import default_scenario

needs_graphviz = pytest.mark.skipif(shutil.which("sfdp") is None or shutil.which("neato") is None,
                                    reason="Graphviz programs not installed (apt-get install graphviz)")
# The brief's names of the loops (R: reinforcing, B: balancing), written out independently of the link signs.
BRIEF = {"peer_role_models": "R1", "peer_burnout": "B1", "stigma_visibility": "R2", "coercion_trauma": "R3"}


def _edges(source: str) -> dict[tuple[str, str], str]:
    return {(a, b): attrs for a, b, attrs in re.findall(r'^\s*"?([^"\n]+?)"? -> "?([^"\n]+?)"? \[(.*)\]$',
                                                          source, flags=re.M)}


def test_loop_names_follow_the_sign_products():
    assert {loop: loop_diagram.loop_name(loop) for loop in BRIEF} == BRIEF


@needs_graphviz
def test_source_has_every_link_with_its_sign_and_a_marker_per_loop():
    source = loop_diagram.diagram_source()
    edges = _edges(source)
    links = {(x.cause, x.effect): x.sign for x in CAUSAL_LINKS}
    assert set(edges) == set(links)
    for key, sign in links.items():
        assert ("<b>+</b>" if sign > 0 else "<b>−</b>") in edges[key], key
    for loop, code in BRIEF.items():
        assert re.search(rf"marker_{loop} \[.*<b>{code}</b>.*pos=\"[-\d.]+,[-\d.]+!\"", source), loop
    # the link shared by R1 and B1 is drawn once, with both loops' colours
    shared = edges[("peer workers", "peer availability")]
    assert all(loop_diagram.LOOP_COLOURS[loop] in shared for loop in ("peer_role_models", "peer_burnout"))


@needs_graphviz
def test_scenario_shading_and_switched_off_loop():
    base = default_scenario()
    weak = _edges(loop_diagram.diagram_source(base.with_overrides({"levers.coercion": 0.1})))
    strong = _edges(loop_diagram.diagram_source(base.with_overrides({"levers.coercion": 0.9})))
    width = lambda attrs: float(re.search(r'penwidth="?([\d.]+)', attrs).group(1))  # noqa: E731
    assert width(strong[("admissions", "coercion")]) > width(weak[("admissions", "coercion")])
    off = _edges(loop_diagram.diagram_source(base.with_overrides({"loops.coercion_trauma": False})))
    assert "dotted" in off[("re-traumatisation", "trauma load")]
    assert sum("dotted" in attrs for attrs in off.values()) == 1
    assert not any("dotted" in attrs for attrs in strong.values())


def test_strengths_are_shares_of_declared_ranges():
    s = default_scenario().with_overrides({"levers.coercion": 0.25, "peer.burnout_rate": 2.5,
                                           "peer.organisational_support": 0.4})
    strength = loop_diagram.link_strengths(s)
    assert strength[("admissions", "coercion")] == pytest.approx(0.25)  # range 0-1
    assert strength[("peer workload", "peer workers leaving")] == pytest.approx(0.5 * 0.6)  # range 0-5, support
    assert strength[("crises", "reunion")] is None


@needs_graphviz
@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG"), (".svg", b"<?xml")])
def test_cli_draws_png_and_svg(tmp_path, capsys, suffix, magic):
    out = tmp_path / f"cld{suffix}"
    assert main(["loops", "--scenario", "scenarios/japan_baseline.toml", "--out", str(out)]) == 0
    assert out.read_bytes()[:len(magic)] == magic
    assert "R3 reinforcing" in capsys.readouterr().out


@pytest.mark.parametrize("name, problem", [("cld.pdf", "unknown diagram format '.pdf'"),
                                           ("missing/cld.png", "does not exist")])
def test_cli_bad_output_is_one_clean_line(tmp_path, capsys, name, problem):
    assert main(["loops", "--out", str(tmp_path / name)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and problem in captured.err and len(captured.err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_missing_graphviz_is_one_clean_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(loop_diagram.shutil, "which", lambda program: None)
    assert main(["loops", "--out", str(tmp_path / "cld.svg")]) == 2
    err = capsys.readouterr().err.strip()
    assert "Graphviz is not installed" in err and len(err.splitlines()) == 1
    assert list(tmp_path.iterdir()) == []
