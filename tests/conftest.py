import dataclasses
import importlib
import os
import sys
from pathlib import Path

import pytest

from recoverysim.parameters import PARAMETERS

os.environ.setdefault("MPLBACKEND", "Agg")

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
#: Spin-up of the tests that check mechanics (a run's shape, files, errors, directions): short, so that the
#: suite stays fast. Tests of the stationary state pass the shipped spin-up (SHIPPED_SPIN_UP_YEARS) explicitly,
#: and the committed regression results set theirs in their own overrides.
TEST_SPIN_UP_YEARS = 2
SHIPPED_SPIN_UP_YEARS = PARAMETERS["run.spin_up_years"].default


@pytest.fixture(autouse=True, scope="session")
def short_spin_up():
    """Scenarios loaded in the tests get ``run.spin_up_years`` = TEST_SPIN_UP_YEARS unless they set it.

    Only the registry default is replaced, in this process: a scenario loaded here keeps its value when it is
    sent to worker processes; a command run as a subprocess uses the shipped default.
    """
    spin_up = PARAMETERS["run.spin_up_years"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(PARAMETERS, spin_up.name, dataclasses.replace(spin_up, default=TEST_SPIN_UP_YEARS))
        yield


@pytest.fixture
def benchmark_module():
    """A loader of the scripts in benchmarks/ by module name (their folder on the path, as when run as scripts)."""
    folder = str(ROOT / "benchmarks")
    if folder not in sys.path:
        sys.path.append(folder)
    return importlib.import_module


@pytest.fixture
def baseline_path() -> Path:
    return SCENARIOS / "japan_baseline.toml"


@pytest.fixture
def small(baseline_path):
    """The Japan baseline at a size that runs in well under a second.

    Its spin-up is short: the tests that use it check mechanics, not the stationary state
    (tests/test_service_turnover.py checks that with the shipped spin-up).
    """
    from recoverysim.scenario import load_scenario

    return load_scenario(baseline_path, {"population.size": 600, "run.years": 2, "run.replications": 2,
                                         "run.spin_up_years": 2})
