"""The dashboard's controls come from the parameter registry, and its model accepts them."""

from recoverysim.dashboard.sliders import DASHBOARD_PARAMETERS, DashboardModel, control_specs
from recoverysim.parameters import PARAMETERS


def test_controls_follow_the_registry():
    specs = control_specs()
    assert set(specs) == set(DASHBOARD_PARAMETERS)
    for name, spec in specs.items():
        p = PARAMETERS[name]
        if p.kind is bool:
            assert spec["type"] == "Checkbox"
        else:
            assert (spec["min"], spec["max"]) == (p.low, p.high)
            assert p.low <= spec["value"] <= p.high


def test_dashboard_model_takes_controls_as_keywords():
    model = DashboardModel(population=300, seed=2, levers__coercion=0.1, loops__coercion_trauma=False)
    assert model.config["levers.coercion"] == 0.1
    assert model.config["loops.coercion_trauma"] is False
    model.step()
    assert model.population.stage_counts().sum() == 300


def test_the_model_never_imports_the_dashboard():
    import subprocess
    import sys

    code = ("import sys, recoverysim.simulation, recoverysim.model; "
            "print(any(m.startswith(('recoverysim.dashboard', 'solara', 'matplotlib.pyplot')) for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
