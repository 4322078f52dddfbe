"""The posterior file format (recoverysim/calibration/posterior.py): round trip, resampling, clear errors."""

import json

import numpy as np
import pytest

from recoverysim.calibration.posterior import Posterior, PosteriorError, load_posterior, save_posterior
from recoverysim.parameters import PARAMETERS

NAME = "crisis.weekly_crisis_rate" if "crisis.weekly_crisis_rate" in PARAMETERS else next(
    n for n, p in PARAMETERS.items() if p.varies and p.kind is float and n.startswith("crisis."))
LOW, HIGH = float(PARAMETERS[NAME].low), float(PARAMETERS[NAME].high)
PROVENANCE = {"method": "test", "date": "2026-12-03", "scenario": "s.toml", "scenario_sha256": "0",
              "targets": "t.toml", "targets_sha256": "0", "seed": 1}


def _posterior(values, weights):
    return Posterior((NAME,), np.array(values, float).reshape(-1, 1), np.asarray(weights, float),
                     {NAME: (LOW, HIGH)}, PROVENANCE)


def test_round_trip(tmp_path):
    mid = (LOW + HIGH) / 2
    p = _posterior([LOW, mid, HIGH], [0.2, 0.3, 0.5])
    save_posterior(p, tmp_path / "p.json")
    q = load_posterior(tmp_path / "p.json")
    assert q.names == (NAME,)
    np.testing.assert_allclose(q.values, p.values)
    np.testing.assert_allclose(q.weights, [0.2, 0.3, 0.5])
    assert q.provenance == PROVENANCE


def test_equal_weights_and_k_equal_n_take_each_member_once():
    values = np.linspace(LOW, HIGH, 7)
    draws = _posterior(values, np.ones(7)).draws(7, seed=3)
    assert sorted(d[NAME] for d in draws) == pytest.approx(sorted(values))


def test_resampling_follows_the_weights():
    # Systematic resampling: a member of weight w appears floor(k w) or ceil(k w) times.
    p = _posterior([LOW, HIGH], [0.25, 0.75])
    draws = p.draws(1000, seed=0)
    assert sum(d[NAME] == LOW for d in draws) == 250
    assert p.draws(10, seed=5) == p.draws(10, seed=5)
    assert _posterior([LOW, HIGH], [0.5, 0.5]).effective_sample_size() == pytest.approx(2.0)


@pytest.mark.parametrize("mutate, key", [
    (lambda d: d.update(format="other"), "format"),
    (lambda d: d["provenance"].pop("targets_sha256"), "provenance.targets_sha256"),
    (lambda d: d["parameters"].update({"no.such": {"prior": "uniform", "low": 0, "high": 1}}), "parameters.no.such"),
    (lambda d: d["draws"][0].update(weight=-1), "draws[0].weight"),
    (lambda d: d["draws"][1]["values"].update({NAME: HIGH * 10 + 1}), f"draws[1].values.{NAME}"),
    (lambda d: d["draws"][0]["values"].pop(NAME), "draws[0].values"),
])
def test_bad_files_name_the_file_and_key(tmp_path, mutate, key):
    data = _posterior([LOW, HIGH], [0.5, 0.5]).to_json()
    mutate(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(PosteriorError) as err:
        load_posterior(path)
    assert str(err.value).startswith(f"{path}: {key}")


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(PosteriorError, match="file not found"):
        load_posterior(tmp_path / "none.json")
