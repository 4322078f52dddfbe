"""Issue 15, bad inputs and the command line: one line naming the right source, never a traceback."""

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from recoverysim.cli import main

BAD = Path(__file__).resolve().parent / "bad_inputs"
ROOT = Path(__file__).resolve().parents[1]
SMALL = ["--population", "200", "--years", "1", "--replications", "2", "--quiet"]
EXPERIMENT = BAD / "experiment_small.toml"

pytestmark = pytest.mark.timeout(120)


def _one_clean_line(capsys) -> str:
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert "Traceback" not in err and len(errors) == 1, err
    return errors[0]


# --- 5. a damaged or shared sensitivity store -----------------------------------------------------------


def _sensitivity(out: Path, *extra: str) -> list[str]:
    return ["sensitivity", str(EXPERIMENT), "--executor", "serial", "--quiet", "--no-figures", "--out", str(out),
            *extra]


def test_truncated_store_is_one_line_naming_it(tmp_path, capsys):
    out = tmp_path / "s"
    assert main(_sensitivity(out)) == 0
    store = out / "evaluations.sqlite"
    store.write_bytes(store.read_bytes()[:700])
    capsys.readouterr()
    assert main(_sensitivity(out, "--resume")) == 2
    assert str(store) in _one_clean_line(capsys)


def test_store_with_bad_rows_is_one_line(tmp_path, capsys):
    out = tmp_path / "s"
    assert main(_sensitivity(out)) == 0
    with sqlite3.connect(out / "evaluations.sqlite") as db:
        db.execute("UPDATE evaluations SET inputs = 'not json' WHERE idx = 0")
    capsys.readouterr()
    assert main(_sensitivity(out, "--resume")) == 2
    assert "evaluations.sqlite" in _one_clean_line(capsys)


def test_resume_onto_rows_of_another_experiment_is_refused(tmp_path, capsys):
    out = tmp_path / "s"
    assert main(_sensitivity(out)) == 0
    with sqlite3.connect(out / "evaluations.sqlite") as db:
        db.execute("DELETE FROM meta")  # the description is gone; the rows must still match the sample
        db.execute("UPDATE evaluations SET inputs = '[0.123, 0.456]' WHERE idx = 1")
    capsys.readouterr()
    assert main(_sensitivity(out, "--resume")) == 2
    assert "stored row 1 was run with other inputs" in _one_clean_line(capsys)


def test_second_writer_on_a_store_is_refused(tmp_path):
    from recoverysim.sensitivity.evaluation import ResultStore, StoreError

    path = tmp_path / "evaluations.sqlite"
    code = ("import sys; from recoverysim.sensitivity.evaluation import ResultStore; "
            "store = ResultStore(sys.argv[1]); print('locked', flush=True); sys.stdin.read()")
    holder = subprocess.Popen([sys.executable, "-c", code, str(path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(StoreError, match="another recoverysim run is using this results store"):
            ResultStore(path)
    finally:
        holder.communicate("")
    ResultStore(path).close()  # free again once the other run ended


# --- 6. parser edge cases -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name, words", [
    ("huge_integer", "levers.coercion: 9999999999"),
    ("deep_nesting", "nested too deeply"),
    ("extends_folder", "extends: scenario file "),
    ("extends_not_toml", "extends: scenario file /etc/passwd is malformed TOML"),
])
def test_scenario_parser_edge_cases(capsys, name, words):
    path = BAD / f"{name}.toml"
    assert main(["describe", str(path)]) == 2
    err = _one_clean_line(capsys)
    assert err.startswith(f"error: {path}: ") and words in err
    assert len(err) < 400  # long values are cut


def test_unreadable_extends_target_names_the_referring_file(tmp_path, capsys):
    target = tmp_path / "parent.toml"
    target.write_text('name = "p"\n')
    child = tmp_path / "child.toml"
    child.write_text('extends = "parent.toml"\nname = "c"\n')
    real = Path.read_bytes

    def unreadable(self):
        if self == target:
            raise PermissionError(13, "Permission denied")
        return real(self)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Path, "read_bytes", unreadable)
        assert main(["describe", str(child)]) == 2
    assert f"{child}: extends: cannot read scenario file {target}: Permission denied" in _one_clean_line(capsys)


@pytest.mark.parametrize("name, words", [("experiment_huge_integer", "n"), ("experiment_malformed", "malformed")])
def test_experiment_parser_edge_cases(tmp_path, capsys, name, words):
    assert main(["sensitivity", str(BAD / f"{name}.toml"), "--out", str(tmp_path / "o")]) == 2
    assert words in _one_clean_line(capsys) and not (tmp_path / "o").exists()


def test_targets_file_that_is_a_folder(tmp_path, capsys):
    assert main(["validate", "japan_baseline", "--targets", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    assert "is a folder, not a file" in _one_clean_line(capsys)


def test_scheduler_that_is_not_an_address(tmp_path, capsys):
    assert main([*_sensitivity(tmp_path / "o"), "--scheduler", "not a url"]) == 2
    assert "not a scheduler address" in _one_clean_line(capsys)


def test_unexpected_error_is_one_line_with_the_debug_hint(monkeypatch, capsys):
    monkeypatch.setattr("recoverysim.cli.cmd_describe", lambda args: {}["boom"])
    monkeypatch.delenv("RECOVERYSIM_DEBUG", raising=False)
    assert main(["describe"]) == 1
    assert "rerun with RECOVERYSIM_DEBUG=1 for the traceback" in _one_clean_line(capsys)
    monkeypatch.setenv("RECOVERYSIM_DEBUG", "1")
    with pytest.raises(KeyError):
        main(["describe"])


# --- 7. sample size cap ----------------------------------------------------------------------------------------


def test_sample_size_is_printed_and_capped(tmp_path, capsys):
    out = tmp_path / "o"
    assert main([*_sensitivity(out), "--n", "100000000"]) == 2
    err = capsys.readouterr().err
    assert "300,000,000 model runs" in err and "--yes" in err and not out.exists()


# --- 9. silent acceptance ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, key", [
    ("targets_share_above_one", "targets.stay.value"),
    ("targets_share_interval_outside", "targets.stay.interval"),
    ("targets_conversion_unknown_key", "conversions.users_per_population.vaule"),
    ("targets_unknown_role", "targets.stay.role"),
])
def test_bad_targets_are_refused(tmp_path, capsys, name, key):
    path = BAD / f"{name}.toml"
    assert main(["validate", "japan_baseline", "--targets", str(path), "--out", str(tmp_path / "o")]) == 2
    assert f"{path}: {key}: " in _one_clean_line(capsys)


@pytest.mark.parametrize("args, words", [
    (["--profile-points", "-1"], "--profile-points"),
    (["--free", "population.size"], "population.size"),
])
def test_bad_calibrate_options_are_refused(tmp_path, capsys, args, words):
    base = ["calibrate", "japan_baseline", "--targets", str(ROOT / "data/targets/japan.toml"), "--out",
            str(tmp_path / "o"), "--free", "crisis.rate"]
    assert main([*base, *args]) == 2
    assert words in _one_clean_line(capsys)


def test_reform_after_the_horizon_warns(capsys):
    assert main(["describe", str(BAD / "reform_after_horizon.toml")]) == 0
    err = capsys.readouterr().err
    assert "warning: " in err and "open_community starts in year 5" in err and "no effect" in err


# --- 10. errors name the right source ----------------------------------------------------------------------------


@pytest.mark.parametrize("flag, value", [("--seed", "-1"), ("--population", "0"), ("--years", "0")])
def test_run_flags_name_themselves(tmp_path, capsys, flag, value):
    assert main(["run", "japan_baseline", "--out", str(tmp_path / "o"), flag, value]) == 2
    err = _one_clean_line(capsys)
    assert err.startswith(f"error: {flag}: ") and "--set" not in err


@pytest.mark.parametrize("flag", ["--population", "--n", "--years"])
def test_sensitivity_flags_name_themselves(tmp_path, capsys, flag):
    assert main(["sensitivity", str(EXPERIMENT), flag, "0", "--out", str(tmp_path / "o")]) == 2
    assert f": {flag}: " in _one_clean_line(capsys) and not (tmp_path / "o").exists()


@pytest.mark.parametrize("out, words", [("cld.txt", "unknown diagram format"), ("missing/cld.png", "does not exist"),
                                        (".", "unknown diagram format")])
def test_loops_out_is_checked_before_drawing(tmp_path, monkeypatch, capsys, out, words):
    monkeypatch.chdir(tmp_path)
    assert main(["loops", "--out", out]) == 2
    assert words in _one_clean_line(capsys) and list(tmp_path.iterdir()) == []


def test_byte_order_mark_is_accepted():
    from recoverysim.scenario import load_scenario

    assert load_scenario(BAD / "utf8_bom.toml").name == "with_bom"


def test_folder_as_scenario_is_not_called_missing(tmp_path, capsys):
    assert main(["run", str(tmp_path)]) == 2
    assert "is a folder" in _one_clean_line(capsys)


# --- one consistent command line ------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["run", "describe", "validate", "trace"])
def test_every_command_takes_a_bare_scenario_name(tmp_path, capsys, command, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = {"run": ["--out", "o", *SMALL], "describe": ["--json"], "trace": ["--person", "0", *SMALL[:4]],
            "validate": ["--out", "o", "--targets", str(ROOT / "data/targets/japan.toml"), "--population", "200",
                         "--years", "3", "--replications", "2", "--workers", "1"]}[command]
    assert main([command, "japan_baseline", *args]) in (0, 1)  # validate: 1 = some targets missed


def test_scenarios_lists_names_with_descriptions(capsys):
    assert main(["scenarios"]) == 0
    lines = capsys.readouterr().out.splitlines()
    names = sorted(p.stem for p in (ROOT / "scenarios").glob("*.toml"))
    assert [line.split()[0] for line in lines] == names
    assert all(len(line.split(None, 1)) == 2 for line in lines)


def test_version_and_nearest_command(capsys):
    from recoverysim import __version__

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0 and __version__ in capsys.readouterr().out
    assert main(["rnu", "japan_baseline"]) == 2
    assert "did you mean 'run'?" in capsys.readouterr().err


def test_no_progress_is_a_hidden_alias_of_quiet(tmp_path, capsys):
    from recoverysim.cli import build_parser

    parser = build_parser()
    for command in (["run", "x"], ["compare", "a", "b"], ["sensitivity", "e"], ["validate", "x"]):
        assert parser.parse_args([*command, "--no-progress"]).quiet
        assert parser.parse_args(command).workers == 0 if command[0] != "run" else True
    sub = next(a for a in parser._actions if a.dest == "command")
    assert "--no-progress" not in sub.choices["sensitivity"].format_help()
    assert "<" not in parser.format_help()


def test_scenario_library_copy_works_outside_the_project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copy(ROOT / "scenarios" / "japan_baseline.toml", tmp_path / "mine.toml")
    assert main(["describe", "mine.toml", "--json"]) == 0
