"""The England scenario changes only country inputs of the Japan baseline; its targets are never fitted."""

import re
from pathlib import Path

from recoverysim.calibration.targets import load_targets
from recoverysim.outcomes import TARGET_METRICS
from recoverysim.parameters import COUNTRY_INPUTS, PARAMETERS
from recoverysim.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
JAPAN = ROOT / "scenarios" / "japan_baseline.toml"
ENGLAND = ROOT / "scenarios" / "england.toml"
TARGETS = ROOT / "data" / "targets" / "england.toml"


def _calibrated_keys() -> set[str]:
    """Dotted names of the values japan_baseline.toml marks as calibrated (the fit must carry over unchanged)."""
    section, keys = None, set()
    for line in JAPAN.read_text(encoding="utf-8").splitlines():
        if m := re.match(r"\[(\w+)\]", line):
            section = m.group(1)
        elif (m := re.match(r"(\w+)\s*=.*#\s*calibrated", line)) and section:
            keys.add(f"{section}.{m.group(1)}")
    return keys


def test_country_inputs_are_declared_parameters_and_never_calibrated():
    calibrated = _calibrated_keys()
    assert len(calibrated) >= 9  # the nine free parameters of the header, and earlier fits
    assert set(COUNTRY_INPUTS) <= set(PARAMETERS)
    assert not set(COUNTRY_INPUTS) & calibrated


def test_england_differs_from_japan_only_in_country_inputs():
    japan, england = load_scenario(JAPAN), load_scenario(ENGLAND)
    assert england.name == "england" and england.description and england.reforms == ()
    assert Path(england.files[0]).name == JAPAN.name
    changed = {k for k in england.values if england[k] != japan[k]}
    assert changed and changed <= set(COUNTRY_INPUTS), changed - set(COUNTRY_INPUTS)
    # England has far fewer psychiatric beds per service user than Japan, and fewer people in hospital.
    assert england["levers.bed_capacity"] < japan["levers.bed_capacity"] / 5
    assert england["population.initial_in_hospital"] < japan["population.initial_in_hospital"]


def test_every_england_value_says_where_it_comes_from():
    text = ENGLAND.read_text(encoding="utf-8")
    body = text[text.index("[population]"):]
    for name in COUNTRY_INPUTS:
        key = name.split(".", 1)[1]
        if not re.search(rf"^{key}\s*=", body, re.M):
            continue
        # The citation is on the line, or in the comment block right above it.
        block = re.search(rf"((?:^#.*\n)*)^{key}\s*=.*$", body, re.M).group(0)
        assert re.search(r"assumed.*range|NHS|KH03|NAO|OECD", block), name
        if "assumed" in block:
            assert "range" in block.lower(), name


def test_england_targets_load_and_are_validation_only():
    targets = load_targets(TARGETS)
    assert {t.role for t in targets.targets} == {"validation"}
    assert {t.key for t in targets.targets} >= {"mean_stay_adult_acute", "involuntary_share",
                                                 "detentions_at_admission", "bed_occupancy"}
    for t in targets.targets:
        assert t.metric in TARGET_METRICS and t.source and t.population and t.year
        assert t.low < t.value < t.high
    assert targets.for_calibration().targets == ()
    # England's service users per head: the scenario's denominator, 2,878,600 / 56,489,800.
    assert abs(targets.conversions["service_users_per_population"] - 2_878_600 / 56_489_800) < 1e-4


def test_involuntary_admission_rate_is_the_share_times_the_admission_rate():
    from recoverysim.calibration.validate import replicate_statistics

    # 1,000 people: England's 6.3 beds per 1,000 users are 6 beds (at 300 people, 2 beds were often both long stays)
    small = load_scenario(ENGLAND, {"population.size": 1000, "run.years": 3, "run.spin_up_years": 2})
    m = replicate_statistics(small, [0], burn_in_years=1, curves=False)[0]["metrics"]
    rate = m["involuntary_admissions_per_1000_person_years"]
    assert rate > 0
    assert abs(rate - m["involuntary_share_of_admissions"] * m["admissions_per_1000_person_years"]) < 1e-9 * rate


def test_validate_with_a_posterior_writes_the_predictive_check(tmp_path):
    import json

    import numpy as np
    import pandas as pd

    from recoverysim.calibration.posterior import Posterior, save_posterior
    from recoverysim.cli import main

    post = tmp_path / "posterior.json"
    provenance = {"method": "test", "date": "2026-12-03", "scenario": str(JAPAN), "scenario_sha256": "0",
                  "targets": "none", "targets_sha256": "0", "seed": 0}
    save_posterior(Posterior(("crisis.rate",), np.array([[0.08], [0.12], [0.2]]), np.full(3, 1 / 3),
                             {"crisis.rate": (0.03, 0.3)}, provenance), post)
    out = tmp_path / "val"
    code = main(["validate", str(ENGLAND), "--targets", str(TARGETS), "--population", "1000", "--years", "3",
                 "--replications", "2", "--set", "run.spin_up_years=1", "--posterior", str(post), "--draws", "3",
                 "--quiet", "--out", str(out)])
    assert code in (0, 1)
    pred = pd.read_csv(out / "predictive.csv")
    assert set(pred["target"]) == {t.key for t in load_targets(TARGETS).targets}
    assert (pred["predictive_5%"] <= pred["predictive_95%"]).all()
    assert len(pd.read_csv(out / "predictive_draws.csv")) == 3
    assert json.loads((out / "manifest.json").read_text())["posterior"]["draws"] == 3
    assert main(["validate", str(ENGLAND), "--targets", str(TARGETS), "--draws", "3", "--out",
                 str(tmp_path / "x")]) == 2
