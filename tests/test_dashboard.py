"""The dashboard's parts without a browser: controls from the registry, sessions, scenario files, views."""

import subprocess
import sys

import numpy as np
import pytest

from recoverysim.dashboard.controls import controls, scenario_of, scenario_toml, settings_of
from recoverysim.dashboard.session import BASELINE, DashboardSession
from recoverysim.errors import ScenarioError
from recoverysim.model import RecoveryModel
from recoverysim.parameters import LEVERS, LOOPS, PARAMETERS, REFORM_FIELDS, REFORMS, ROOTS
from recoverysim.scenario import load_scenario
from recoverysim.seeds import replicate_seed

SMALL = {"population.size": 150, "run.years": 2}


def _session(**changes) -> DashboardSession:
    session = DashboardSession(BASELINE)
    for key, value in {**SMALL, **changes}.items():
        session.set(key, value)
    assert session.reset()
    return session


def test_controls_cover_roots_levers_loops_and_reforms_with_registry_ranges():
    by_key = {c.key: c for c in controls()}
    expected = {f"roots.{r}" for r in ROOTS} | {f"levers.{lever}" for lever in LEVERS} | {f"loops.{lp}" for lp in LOOPS}
    assert expected <= set(by_key)
    for name in expected:
        c, p = by_key[name], PARAMETERS[name]
        assert c.kind is p.kind and c.unit == p.unit
        assert p.description in c.tooltip and p.source in c.tooltip and p.unit in c.tooltip
        if p.kind is not bool:
            assert (c.low, c.high) == (p.low, p.high) and 0 < c.step <= (p.high - p.low) / 50
        assert "." not in c.label and "_" not in c.label  # human, not a dotted key
    for reform, spec in REFORMS.items():
        assert by_key[f"reforms.{reform}.on"].kind is bool
        for field in ("start_year", "ramp_years", "coverage"):
            c = by_key[f"reforms.{reform}.{field}"]
            assert c.low == REFORM_FIELDS[field][1] and REFORM_FIELDS[field][4] in c.tooltip
        assert (f"reforms.{reform}.capacity" in by_key) == (spec.capacity_target is not None)


def test_settings_of_reads_the_scenario_file_values():
    scenario = load_scenario("scenarios/all_reforms.toml")
    settings = settings_of(scenario)
    assert settings["levers.coercion"] == scenario["levers.coercion"]
    in_force = {r.name: r for r in scenario.reforms}
    for reform in REFORMS:
        assert settings[f"reforms.{reform}.on"] == (reform in in_force)
        if reform in in_force:
            assert settings[f"reforms.{reform}.ramp_years"] == in_force[reform].ramp_years


def test_saved_scenario_round_trips_through_the_loader(tmp_path):
    session = DashboardSession(BASELINE)
    changes = {"levers.coercion": 0.2, "loops.coercion_trauma": False, "roots.shame_pressure": 0.35,
               "reforms.crisis_advocacy.on": True, "reforms.crisis_advocacy.start_year": 3.0,
               "reforms.crisis_advocacy.capacity": 2.5, "run.seed": 99, "population.size": 300}
    for key, value in changes.items():
        session.set(key, value)
    path = session.save(tmp_path, "classroom")
    loaded = load_scenario(path)
    assert loaded.name == "classroom"
    for key, value in changes.items():
        if not key.startswith("reforms."):
            assert loaded[key] == value
    assert [(r.name, r.start_year, r.capacity) for r in loaded.reforms] == [("crisis_advocacy", 3.0, 2.5)]
    expected = scenario_of(session.base, session.pending)
    assert dict(loaded.values) == dict(expected.values)  # every registry value, not only the controls
    assert settings_of(loaded) == session.pending


def test_scenario_toml_writes_awkward_values_that_toml_reads_back():
    base = load_scenario(BASELINE).with_overrides({"peer.recruitment_rate": 1e-5, "crisis.rate": 1 / 3})
    text = scenario_toml(scenario_of(base, {}, name='a "quoted" name'), comment="two\nlines")
    import tomllib

    data = tomllib.loads(text)
    assert data["name"] == 'a "quoted" name'
    assert data["peer"]["recruitment_rate"] == 1e-5 and data["crisis"]["rate"] == 1 / 3


def test_save_refuses_a_name_that_is_not_a_plain_file_name(tmp_path):
    with pytest.raises(Exception, match="letters, digits"):
        DashboardSession(BASELINE).save(tmp_path, "../elsewhere")


def test_changes_wait_for_reset_then_restart_the_run_with_them():
    session = _session()
    session.step(10)
    session.set("levers.coercion", 0.0)
    assert session.pending_changes == ["levers.coercion"]
    assert session.model.config["levers.coercion"] == load_scenario(BASELINE)["levers.coercion"]
    assert session.model.week == 10
    assert session.reset()
    assert session.pending_changes == [] and session.model.week == 0
    assert session.model.config["levers.coercion"] == 0.0
    session.step(104)
    frame = session.model.recorder.frame(session.model.week)
    assert frame["coercive_episodes"].sum() == 0  # coercion needs the lever above 0
    unchanged = _session()
    unchanged.step(104)
    assert unchanged.model.recorder.frame(104)["coercive_episodes"].sum() > 0  # the same run at the file's lever


def test_an_invalid_setting_is_reported_and_the_run_goes_on():
    session = _session()
    session.step(3)
    session.set("population.size", 5)  # below the registry's lower bound
    assert not session.reset()
    assert "population.size" in session.error and session.model.week == 3
    with pytest.raises(ScenarioError):
        scenario_of(session.base, session.pending)


def test_each_session_has_its_own_model():
    first, second = _session(), _session()
    assert first.model is not second.model
    first.set("levers.coercion", 0.0)
    first.reset()
    first.step(20)
    assert second.model.week == 0 and second.model.config["levers.coercion"] != 0.0
    second.step(5)
    assert first.model.week == 20 and second.model.week == 5
    fresh = _session()  # a third session starts from the scenario, not from anyone's run
    assert fresh.model.week == 0 and fresh.applied == second.applied


def test_the_session_runs_replicate_zero_that_trace_retells():
    session = _session()
    session.step(52)
    alone = RecoveryModel(session.scenario, rng=replicate_seed(session.scenario["run.seed"], 0))
    for _ in range(52):
        alone.step()
    assert np.array_equal(alone.population.stage, session.model.population.stage)
    story = session.story(7)
    assert story.startswith("Person 7 in japan_baseline: 150 people, 1 years")
    end_stage = session.model.population.stage[7]
    from recoverysim.parameters import STAGES

    assert f"End: {STAGES[end_stage]}" in story


def test_views_draw_on_figures_not_pyplot():
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    from recoverysim.dashboard import views

    session = _session()
    session.step(30)
    open_before = plt.get_fignums()
    figures = [views.stage_occupancy(session.model), views.crisis_services(session.model),
               views.peer_workforce(session.model), views.barrier_levels(session.model),
               views.causal_loops(session.model),
               views.relationship_network(session.model, views.network_layout(session.model), 3)]
    assert all(isinstance(f, Figure) for f in figures)
    assert plt.get_fignums() == open_before  # nothing registered with pyplot, so nothing to close


def test_link_strengths_follow_the_loop_switches():
    from recoverysim.dashboard.views import link_strengths
    from recoverysim.feedback_loops import CAUSAL_LINKS

    on, off = _session(), _session(**{"loops.coercion_trauma": False})
    for s in (on, off):
        s.step(26)
    strength_on, strength_off = link_strengths(on.model), link_strengths(off.model)
    for link, a, b in zip(CAUSAL_LINKS, strength_on, strength_off, strict=True):
        assert 0 <= a <= 1 and 0 <= b <= 1
        if link.loop == "coercion_trauma":
            assert b == 0
    assert any(a > 0 for link, a in zip(CAUSAL_LINKS, strength_on, strict=True) if link.loop == "coercion_trauma")


def test_the_model_never_imports_the_dashboard():
    code = ("import sys, recoverysim.simulation, recoverysim.model; "
            "print(any(m.startswith(('recoverysim.dashboard', 'solara', 'matplotlib.pyplot')) for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_dashboard_command_is_registered_with_loopback_default():
    from recoverysim.cli import build_parser

    args = build_parser().parse_args(["dashboard", "japan_baseline"])
    assert (args.host, args.scenario) == ("127.0.0.1", "japan_baseline")
