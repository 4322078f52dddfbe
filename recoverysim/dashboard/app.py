"""Run with: ``solara run recoverysim/dashboard/app.py`` (needs ``pip install -e .[dashboard]``)."""

from __future__ import annotations

import solara
from mesa.visualization import SolaraViz

from recoverysim.dashboard.sliders import DashboardModel, control_specs
from recoverysim.parameters import STAGES


def _model_params() -> dict:
    params = {"population": {"type": "SliderInt", "value": 2000, "min": 200, "max": 20000, "step": 200,
                             "label": "people"},
              "seed": {"type": "InputText", "value": 1, "label": "seed"}}
    # SolaraViz passes controls as keywords: dotted names become double underscores.
    params.update({name.replace(".", "__"): spec for name, spec in control_specs().items()})
    return params


def stage_chart(model):
    """Stage occupancy so far."""
    import matplotlib.pyplot as plt

    df = model.recorder.frame(model.week)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for stage in STAGES:
        ax.plot(df["week"] / 52, df[stage] / model.population.size, label=stage)
    ax.set(xlabel="years", ylabel="share", ylim=(0, 1))
    ax.legend(fontsize=8)
    return solara.FigureMatplotlib(fig)


model = DashboardModel()
page = SolaraViz(model, components=[(stage_chart, 0)], model_params=_model_params(), name="recoverysim")
