"""Targets files: the Japan targets load; a broken file is one clear error naming the file and key (exit 2)."""

from pathlib import Path

import pytest

from recoverysim.calibration.targets import ROLES, UNITS, TargetsError, load_targets
from recoverysim.cli import main
from recoverysim.outcomes import TARGET_METRICS as METRICS
from recoverysim.parameters import PARAMETERS

ROOT = Path(__file__).resolve().parent.parent
JAPAN = ROOT / "data" / "targets" / "japan.toml"
SCENARIO = ROOT / "scenarios" / "japan_baseline.toml"

GOOD = """
title = "t"
[settings]
burn_in_years = 1
[conversions.users_per_population]
value = 0.033
source = "MHLW Patient Survey 2017"
[targets.stay]
value = 0.641
unit = "share"
population = "new admissions"
year = "2014-2016"
tolerance = 0.04
source = "Okumura et al., J Epidemiol 2019;29(8):288-294"
metric = "discharged_within_90_days"
mapping = "share of admissions discharged within 90 days"
role = "calibration"
"""


def test_japan_targets_load_and_are_complete():
    t = load_targets(JAPAN)
    keys = {x.key for x in t.targets}
    assert {"alos_2017", "alos_2020", "discharged_90", "discharged_360", "readmitted_90", "readmitted_180",
            "readmitted_365", "restraint_prevalence", "restraint_median_hours", "seclusion_median_hours",
            "yearly_stay", "yearly_improve", "yearly_worsen", "schizophrenia_recovery"} <= keys
    for x in t.targets:
        assert x.source and x.mapping and x.population and x.year
        assert x.unit in UNITS and x.metric in METRICS
        assert x.low < x.value < x.high
    restraint = next(x for x in t.targets if x.key == "restraint_prevalence")
    assert restraint.scale == "service_users_per_population"
    assert t.factor(restraint) == pytest.approx(4.19 / 126.7, rel=1e-3)
    assert t.burn_in_years >= 0


def test_band_residual_and_met():
    t = load_targets(JAPAN)
    scz = next(x for x in t.targets if x.key == "schizophrenia_recovery")  # asymmetric IQR band
    assert scz.met(0.10) and scz.met(0.2) and not scz.met(0.21)
    assert scz.residual(0.200) == pytest.approx(1.0)
    assert scz.residual(0.081) == pytest.approx(-1.0)
    assert scz.residual(float("nan")) > 100


def _write(tmp_path, text):
    path = tmp_path / "targets.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(("edit", "key", "words"), [
    (lambda s: s.replace('source = "Okumura et al., J Epidemiol 2019;29(8):288-294"\n', ""), "targets.stay.source",
     "missing"),
    (lambda s: s.replace('unit = "share"', 'unit = "percent"'), "targets.stay.unit", "unknown unit"),
    (lambda s: s.replace('metric = "discharged_within_90_days"', 'metric = "happiness"'), "targets.stay.metric",
     "unknown metric"),
    (lambda s: s.replace("tolerance = 0.04", ""), "targets.stay", "tolerance"),
    (lambda s: s + 'scale = "nope"\n', "targets.stay.scale", "unknown conversion"),
    (lambda s: s.replace("value = 0.641", 'value = "high"'), "targets.stay.value", "number"),
    (lambda s: s.replace('role = "calibration"\n', ""), "targets.stay.role", "missing"),
    (lambda s: s.replace('role = "calibration"', 'role = "held_out"'), "targets.stay.role", "unknown role"),
])
def test_bad_targets_file_is_a_clear_error(tmp_path, capsys, edit, key, words):
    path = _write(tmp_path, edit(GOOD))
    with pytest.raises(TargetsError) as err:
        load_targets(path)
    assert str(path) in str(err.value) and key in str(err.value) and words in str(err.value)
    out = tmp_path / "report"
    rc = main(["validate", str(SCENARIO), "--targets", str(path), "--out", str(out), "--population", "100"])
    msg = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert len(msg) == 1 and msg[-1].startswith("error: ") and str(path) in msg[-1] and key in msg[-1]
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".report")]


def test_good_minimal_file_loads(tmp_path):
    t = load_targets(_write(tmp_path, GOOD))
    assert t.targets[0].low == pytest.approx(0.601) and t.burn_in_years == 1


def test_missing_and_malformed_files(tmp_path, capsys):
    assert main(["validate", str(SCENARIO), "--targets", str(tmp_path / "none.toml")]) == 2
    assert "targets file not found" in capsys.readouterr().err
    bad = _write(tmp_path, "targets = [")
    assert main(["calibrate", str(SCENARIO), "--targets", str(bad), "--free", "crisis.rate"]) == 2
    assert "malformed TOML" in capsys.readouterr().err


@pytest.mark.parametrize(("free", "words"), [
    ("crisis.nope", "unknown parameter"),
    ("crisis.rate=0:9", "declared range"),
    ("crisis.rate=0.5:0.1", "low < high"),
    ("crisis.rate=a:b", "low:high"),
    ("loops.peer_burnout", "not a numeric parameter"),
])
def test_bad_free_parameter_is_exit_2(tmp_path, capsys, free, words):
    out = tmp_path / "cal"
    rc = main(["calibrate", str(SCENARIO), "--targets", str(JAPAN), "--free", free, "--out", str(out)])
    assert rc == 2 and words in capsys.readouterr().err
    assert not out.exists()


def test_every_japan_target_has_a_role_and_inputs_are_not_targets():
    t = load_targets(JAPAN)
    roles = {x.key: x.role for x in t.targets}
    assert set(roles.values()) <= set(ROLES)
    # the episode medians are the values of crisis.*_median_hours (same Noda et al. figure): never targets
    assert roles["restraint_median_hours"] == roles["seclusion_median_hours"] == "input_check"
    for x in t.with_role("input_check"):
        assert any(x.value == p.default and x.source.split(",")[0].split()[0] in p.source
                   for p in PARAMETERS.values()), x.key
    assert t.with_role("validation") and t.with_role("calibration")
    assert {x.key for x in t.for_calibration().targets} == {k for k, r in roles.items() if r == "calibration"}


def test_calibrate_refuses_a_validation_target(tmp_path, capsys):
    validation = next(x.key for x in load_targets(JAPAN).targets if x.role == "validation")
    out = tmp_path / "cal"
    rc = main(["calibrate", str(SCENARIO), "--targets", str(JAPAN), "--free", "crisis.rate", "--target",
               validation, "--out", str(out)])
    msg = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(msg) == 1
    assert str(JAPAN) in msg[0] and f"targets.{validation}.role" in msg[0] and "validation" in msg[0]
    assert not out.exists()
