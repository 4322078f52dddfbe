"""The dashboard page (Solara). Start it with ``recoverysim dashboard [SCENARIO]``.

Each browser session renders its own ``Page``, which creates its own :class:`DashboardSession` (and so its own
model) with ``solara.use_memo``: nothing about a run lives at module level. Charts are redrawn only when the
run moves (``version``), not when a control is touched.
"""

from __future__ import annotations

import html
import io
import os
import time
from pathlib import Path

import solara
import solara.lab

from recoverysim.dashboard import views
from recoverysim.dashboard.controls import Control, controls
from recoverysim.dashboard.session import BASELINE, SAVE_DIR_ENV, SCENARIO_ENV, SCENARIOS, DashboardSession
from recoverysim.errors import RecoverysimError
from recoverysim.parameters import LOOPS

PLAY_WEEKS = 13  # weeks per frame while playing: a quarter, so ten years take 40 frames
#: Bumped when a control changes. Solara keeps a separate value per browser session; the sidebar reads it
#: itself because a sidebar's content does not re-render with the page that placed it.
TOUCHED = solara.reactive(0)
CSS = """
.v-navigation-drawer { width: 360px !important; }
.ctl { padding: 2px 4px 0 4px; border-left: 3px solid transparent; }
.ctl.pending { border-left-color: #f9a825; background: #fff8e1; }
.ctl-label { font-size: 0.85rem; font-weight: 500; cursor: help; }
.ctl-value { font-size: 0.8rem; color: #555; margin-left: auto; white-space: nowrap; }
.ctl .v-input { margin-top: 0 !important; padding-top: 0 !important; }
.ctl .v-input__slot { margin-bottom: 0 !important; }
.ctl .v-messages { display: none; }
.chart img { width: 100%; height: auto; }
.story pre { max-height: 420px; overflow-y: auto; font-size: 0.78rem; white-space: pre-wrap; }
"""


def _start_scenario() -> Path:
    return Path(os.environ.get(SCENARIO_ENV) or BASELINE)


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def _shown(control: Control, value) -> str:
    if control.kind is bool:
        return "on" if value else "off"
    text = f"{value:g}" if isinstance(value, float) else f"{value}"
    return f"{text} {control.unit}" if control.unit not in ("switch", "integer") else text


@solara.component
def ControlView(control: Control, value, applied, on_value):
    """One control: label with a tooltip, its value and unit, and the widget, on its own lines."""
    pending = value != applied
    with solara.Column(gap="0px", classes=["ctl", control.css] + (["pending"] if pending else [])):
        with solara.Row(gap="6px", style="align-items: baseline"):
            with solara.Tooltip(control.tooltip):
                solara.Text(control.label + (" (pending)" if pending else ""), classes=["ctl-label"])
            solara.Text(_shown(control, value), classes=["ctl-value"])
        if control.kind is bool:
            solara.Switch(value=bool(value), on_value=on_value, classes=["ctl-switch"])
        elif control.kind is int and control.high - control.low > 10_000:
            solara.InputInt("", value=int(value), on_value=on_value, dense=True)
        elif control.kind is int:
            solara.SliderInt("", value=int(value), min=int(control.low), max=int(control.high),
                             step=int(control.step), on_value=on_value, thumb_label=False)
        else:
            solara.SliderFloat("", value=float(value), min=control.low, max=control.high, step=control.step,
                               on_value=on_value, thumb_label=False)


@solara.component
def Controls(session: DashboardSession):
    """All controls from the registry, grouped; a reform's details show while it is in force."""
    TOUCHED.value  # noqa: B018 - subscribe to control changes
    groups: dict[str, list[Control]] = {}
    for c in controls():
        groups.setdefault(c.group, []).append(c)

    def setter(key):
        def set_value(value):
            session.set(key, value)
            TOUCHED.value += 1
        return set_value

    for group, members in groups.items():
        if group.startswith("Reform: "):
            switch, *fields = members
            with solara.Card(margin=1, classes=["reform"]):
                ControlView(switch, session.pending[switch.key], session.applied[switch.key], setter(switch.key))
                if session.pending[switch.key]:
                    for c in fields:
                        ControlView(c, session.pending[c.key], session.applied[c.key], setter(c.key))
            continue
        with solara.Card(group, margin=1):
            for c in members:
                ControlView(c, session.pending[c.key], session.applied[c.key], setter(c.key))


@solara.component
def Chart(draw, model, version: int, name: str, *args):
    """A view of ``model``, drawn again only when the run has moved."""
    keys = [id(a) if isinstance(a, dict) else a for a in args]  # layouts compare by identity
    png = solara.use_memo(lambda: _png(draw(model, *args)), [model, version, *keys])
    solara.Image(png, classes=["chart", f"chart-{name}"])


@solara.component
def ScenarioFiles(session: DashboardSession, on_change):
    """Start from a scenario file; save the controls' values as one."""
    files = {p.stem: p for p in sorted(SCENARIOS.glob("*.toml"))}
    files.setdefault(_start_scenario().stem, _start_scenario())  # the command line's file, wherever it is
    choice, set_choice = solara.use_state(Path(session.base.source).stem)
    name, set_name = solara.use_state("my_scenario")
    message, set_message = solara.use_state("")
    save_dir = Path(os.environ.get(SAVE_DIR_ENV) or "dashboard_scenarios")

    def load():
        session.load(files[choice])
        set_message(f"Started again from {choice}.")
        TOUCHED.value += 1
        on_change()

    def save():
        try:
            path = session.save(save_dir, name)
        except (RecoverysimError, OSError) as exc:
            set_message(f"Not saved: {exc}")
            return
        set_message(f"Saved {path} (run it with: recoverysim run {path})")

    with solara.Card("Scenario file", margin=1):
        with solara.Row(style="align-items: center"):
            solara.Select("start from", values=list(files), value=choice, on_value=set_choice, dense=True)
            solara.Button("Load", on_click=load, outlined=True, classes=["load-scenario"])
        solara.InputText("save the settings shown as", value=name, on_value=set_name, dense=True,
                         continuous_update=True)
        with solara.Row(style="align-items: center"):
            solara.Button("Save", on_click=save, outlined=True, classes=["save-scenario"])
            solara.FileDownload(lambda: session.scenario_text(name), filename=f"{name}.toml", label="Download")
        if message:
            solara.Text(message, classes=["scenario-message"], style="font-size: 0.8rem; overflow-wrap: anywhere")


@solara.component
def Story(session: DashboardSession, version: int, person: int, set_person):
    """Choose a person and read their story (the ``recoverysim trace`` narrative) in this run."""
    text, set_text = solara.use_state("")
    size = session.model.population.size

    def tell():
        set_text(f"Told at {session.clock()}:\n\n" + session.story(min(max(person, 0), size - 1)))

    with solara.Card("One person's story", margin=1, classes=["story"]):
        solara.Text("Pick a person (ringed on the network) and read what happened to them in this run, up to "
                    "the end of the current year, as `recoverysim trace` tells it.")
        with solara.Row(style="align-items: center"):
            solara.InputInt(f"person (0 to {size - 1})", value=person, on_value=set_person, dense=True,
                            classes=["person-input"])
            solara.Button("Tell their story", on_click=tell, color="primary", outlined=True, classes=["tell-story"])
        if text:
            solara.Preformatted(text)


@solara.component
def LoopNotes(session: DashboardSession, version: int):
    """What each loop is, and whether it is switched on in this run."""
    with solara.Card("The four feedback loops", margin=1, classes=["loop-notes"]):
        for loop, text in LOOPS.items():
            state = "on" if session.applied[f"loops.{loop}"] else "switched off"
            solara.Text(f"{text} ({state}).", style="display: block; margin-bottom: 6px; font-size: 0.85rem")
        solara.Text("A link's shade is its strength now: the share of cases passing along it (crises admitted, "
                    "admissions coerced, coercive episodes that re-traumatise) or the level of its cause.",
                    style="display: block; font-size: 0.8rem; color: #555")


@solara.component
def Page():
    """The whole dashboard for one browser session."""
    session = solara.use_memo(lambda: DashboardSession(_start_scenario()), [])
    version, set_version = solara.use_state(0)
    TOUCHED.value  # noqa: B018 - subscribe: the pending banner follows the controls
    playing = solara.use_reactive(False)
    person, set_person = solara.use_state(0)
    model = session.model
    layout = solara.use_memo(lambda: views.network_layout(model), [model])

    def moved():
        set_version(lambda v: v + 1)

    def play():
        # Mesa's ModelController does the same: a threaded task that reads the flag each frame.
        while playing.value and session.model.running:
            session.step(PLAY_WEEKS)
            moved()
            time.sleep(0.2)
        playing.value = False

    solara.lab.use_task(play, dependencies=[playing.value, model], prefer_threaded=True)

    def step(weeks):
        session.step(weeks)
        moved()

    def reset():
        playing.value = False
        session.reset()
        moved()

    solara.Title("recoverysim dashboard")
    solara.Style(CSS)
    with solara.Sidebar():
        ScenarioFiles(session, moved)
        Controls(session)
    with solara.Column(classes=["main"]):
        # Text, not Markdown: Solara's Markdown pulls KaTeX from a CDN, which an offline classroom lacks.
        title = html.escape(f"{session.scenario.name}: personal recovery and the barriers that block it")
        solara.HTML("h2", unsafe_innerHTML=title,
                    style="margin: 4px 0")
        solara.Text(f"{session.base.description}. One step is one week; charts are in years. Hover over a "
                    "control's name for what it means, its unit and its source.")
        with solara.Row(style="align-items: center; flex-wrap: wrap"):
            solara.Button("Reset", on_click=reset, color="primary", icon_name="mdi-restart", classes=["reset"])
            solara.Button("Step a week", on_click=lambda: step(1), disabled=playing.value or not model.running,
                          classes=["step-week"])
            solara.Button("Step a year", on_click=lambda: step(52), disabled=playing.value or not model.running,
                          classes=["step-year"])
            solara.Button("Pause" if playing.value else "Play", on_click=lambda: playing.set(not playing.value),
                          disabled=not model.running, icon_name="mdi-pause" if playing.value else "mdi-play",
                          classes=["play"])
            solara.Text(session.clock(), classes=["clock"], style="font-weight: 500; margin-left: 12px")
        solara.Text(session.tally(), classes=["tally"])
        pending = session.pending_changes
        if session.error:
            solara.Error(f"Not applied: {session.error}", classes=["settings-error"])
        elif pending:
            labels = {c.key: c.label for c in controls()}
            listed = ", ".join(f"{labels[k]}: {session.applied[k]} -> {session.pending[k]}" for k in pending[:6])
            more = f" and {len(pending) - 6} more" if len(pending) > 6 else ""
            solara.Warning(f"{len(pending)} change(s) wait for Reset, which restarts the run with them: "
                           f"{listed}{more}.", classes=["pending-banner"])
        else:
            solara.Info("The run uses the settings shown. Changes wait for Reset, which restarts the run.",
                        dense=True, classes=["applied-banner"])
        with solara.Columns([1, 1]):
            Chart(views.stage_occupancy, model, version, "stages")
            Chart(views.crisis_services, model, version, "services")
        with solara.Columns([1, 1]):
            Chart(views.peer_workforce, model, version, "peers")
            Chart(views.barrier_levels, model, version, "barriers")
        with solara.Columns([1, 1]):
            Chart(views.relationship_network, model, version, "network", layout, person)
            Story(session, version, person, set_person)
        with solara.Columns([3, 2]):
            Chart(views.causal_loops, model, version, "loops")
            LoopNotes(session, version)
