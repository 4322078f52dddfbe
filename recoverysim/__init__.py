"""recoverysim: an agent-based simulation of personal recovery and the system-level barriers that block it."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("recoverysim")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+local"

from recoverysim.errors import RecoverysimError, ScenarioError  # noqa: E402
from recoverysim.scenario import Reform, Scenario, load_scenario  # noqa: E402

__all__ = ["RecoverysimError", "Reform", "Scenario", "ScenarioError", "__version__", "load_scenario",
           "simulate", "simulate_headline", "simulate_headlines", "RecoveryModel"]


def __getattr__(name):
    # Lazy: importing the package for scenario work should not pull in Mesa and the model.
    if name in ("simulate", "simulate_headline", "simulate_headlines", "run_replications"):
        from recoverysim import simulation

        return getattr(simulation, name)
    if name == "RecoveryModel":
        from recoverysim.model import RecoveryModel

        return RecoveryModel
    raise AttributeError(name)
