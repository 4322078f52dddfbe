import os
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


@pytest.fixture
def baseline_path() -> Path:
    return SCENARIOS / "japan_baseline.toml"


@pytest.fixture
def small(baseline_path):
    """The Japan baseline at a size that runs in well under a second."""
    from recoverysim.scenario import load_scenario

    return load_scenario(baseline_path, {"population.size": 600, "run.years": 2, "run.replications": 2})
