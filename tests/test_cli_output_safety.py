"""Issue 15, data loss and late failures: no command deletes or replaces what is not its own."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from recoverysim.cli import main
from recoverysim.results import atomic_directory, clean_stale, is_result_folder

BAD = Path(__file__).resolve().parent / "bad_inputs"
ROOT = Path(__file__).resolve().parents[1]
SMALL = ["--population", "200", "--years", "1", "--replications", "2", "--quiet"]
TARGETS = ROOT / "data" / "targets" / "japan.toml"


def _precious(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    keep = folder / "thesis.docx"
    keep.write_text("years of work")
    return keep


# --- 1. the scenario name is never a path ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["name_empty", "name_dot", "name_parent", "name_absolute", "name_list"])
def test_scenario_name_must_be_a_plain_identifier(tmp_path, monkeypatch, capsys, name):
    monkeypatch.chdir(tmp_path)
    keep = _precious(tmp_path / "results")
    path = BAD / f"{name}.toml"
    assert main(["run", str(path), *SMALL]) == 2
    err = capsys.readouterr().err
    assert f"{path}: name: " in err and "Traceback" not in err
    assert keep.read_text() == "years of work" and sorted(os.listdir(tmp_path / "results")) == ["thesis.docx"]


def test_a_run_without_out_replaces_only_its_own_folder(tmp_path, monkeypatch, baseline_path):
    monkeypatch.chdir(tmp_path)
    keep = _precious(tmp_path / "results" / "other")
    assert main(["run", str(baseline_path), *SMALL]) == 0
    assert main(["run", str(baseline_path), *SMALL]) == 0  # its own earlier folder: replaced
    assert keep.exists() and (tmp_path / "results" / "japan_baseline" / "manifest.json").is_file()


# --- 2. an existing --out that is not ours is refused --------------------------------------------------

COMMANDS = {
    "run": ["run", "japan_baseline", *SMALL],
    "compare": ["compare", "japan_baseline", "trauma_informed_care", *SMALL, "--no-independent"],
    "validate": ["validate", "japan_baseline", "--targets", str(TARGETS), "--population", "200", "--years", "3",
                 "--replications", "2", "--quiet"],
    "calibrate": ["calibrate", "japan_baseline", "--targets", str(TARGETS), "--free", "crisis.rate",
                  "--population", "200", "--years", "3", "--replications", "1", "--budget", "2",
                  "--profile-points", "0", "--quiet"],
    "sensitivity": ["sensitivity", str(BAD / "experiment_small.toml"), "--executor", "serial", "--quiet",
                    "--no-figures"],
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_existing_out_folder_of_someone_else_is_refused(tmp_path, capsys, command):
    out = tmp_path / "mine"
    keep = _precious(out)
    assert main([*COMMANDS[command], "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert str(out) in err and "--force" in err
    assert sorted(os.listdir(out)) == ["thesis.docx"] and keep.read_text() == "years of work"
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name]


@pytest.mark.parametrize("command", ["run", "compare", "validate", "sensitivity"])
def test_existing_file_as_out_is_never_touched(tmp_path, capsys, command):
    out = tmp_path / "notes.txt"
    out.write_text("do not rename me")
    assert main([*COMMANDS[command], "--out", str(out), "--force"]) == 2
    assert "not a folder" in capsys.readouterr().err
    assert out.read_text() == "do not rename me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_force_replaces_and_a_result_folder_is_replaced_without_it(tmp_path):
    out = tmp_path / "out"
    _precious(out)
    assert main([*COMMANDS["run"], "--out", str(out), "--force"]) == 0
    assert is_result_folder(out) and not (out / "thesis.docx").exists()
    first = json.loads((out / "manifest.json").read_text())
    assert first["recoverysim_version"] and first["kind"] == "run"
    assert main([*COMMANDS["run"], "--out", str(out), "--seed", "5"]) == 0  # our own folder: no --force needed
    assert json.loads((out / "manifest.json").read_text())["resolved"]["parameters"]["run.seed"] == 5


# --- 3. a reform given twice in one file ------------------------------------------------------------------


def test_duplicate_reform_in_one_file_is_rejected(capsys):
    path = BAD / "duplicate_reforms.toml"
    assert main(["run", str(path), *SMALL]) == 2
    err = capsys.readouterr().err
    assert f"{path}: reforms[2].name: " in err and "reforms[0]" in err


def test_child_reform_is_named_by_its_index_in_the_child_file(capsys):
    from recoverysim.scenario import load_scenario

    parent = load_scenario(ROOT / "scenarios" / "all_reforms.toml")
    assert len(parent.reforms) > 1  # so an index into the merged list would differ from 0
    path = BAD / "child_reform_out_of_range.toml"
    assert main(["describe", str(path)]) == 2
    assert f"{path}: reforms[0].coverage: 7" in capsys.readouterr().err


# --- 4. output problems before the simulation, cleanup, SIGTERM ------------------------------------------


@pytest.mark.parametrize("case", ["dot", "parent", "under_a_file", "long_name"])
def test_unusable_out_fails_before_running(tmp_path, monkeypatch, capsys, case):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("x")
    out = {"dot": ".", "parent": "..", "under_a_file": "afile/sub", "long_name": "n" * 240}[case]
    calls = []
    monkeypatch.setattr("recoverysim.run_folder.run_replications", lambda *a, **k: calls.append(a))
    assert main([*COMMANDS["run"], "--out", out, "--force"]) == 2
    assert "--out" in capsys.readouterr().err and not calls
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


def test_calibrate_write_scenario_into_a_missing_folder_fails_first(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("recoverysim.calibration.calibrate.calibrate", lambda *a, **k: pytest.fail("ran"))
    dest = tmp_path / "missing" / "fitted.toml"
    assert main([*COMMANDS["calibrate"], "--out", str(tmp_path / "o"), "--write-scenario", str(dest)]) == 2
    assert "does not exist" in capsys.readouterr().err and not (tmp_path / "o").exists()


def test_failure_while_writing_leaves_no_partial_folder(tmp_path, monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("recoverysim.run_folder.write_folder", broken)
    assert main([*COMMANDS["run"], "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "rerun with RECOVERYSIM_DEBUG=1" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_failed_final_rename_removes_the_temporary_folder(tmp_path, monkeypatch):
    real = os.replace

    def refuse(src, dst):
        if ".partial-" in str(src):
            raise OSError(18, "Invalid cross-device link")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(Exception, match="cannot put the results folder in place"):
        with atomic_directory(tmp_path / "o") as tmp:
            (tmp / "f").write_text("x")
    assert list(tmp_path.iterdir()) == []


def test_stale_partial_folders_of_dead_processes_are_removed(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    stale = tmp_path / f".o.partial-{dead}-abcd"
    live = tmp_path / f".o.partial-{os.getpid()}-efgh"
    other = tmp_path / f".other.partial-{dead}-ijkl"
    for p in (stale, live, other):
        p.mkdir()
    assert clean_stale(tmp_path / "o") == [stale]
    assert live.exists() and other.exists() and not stale.exists()


def test_result_folder_follows_the_umask(tmp_path, baseline_path):
    old = os.umask(0o022)
    try:
        assert main([*COMMANDS["run"], "--out", str(tmp_path / "o")]) == 0
    finally:
        os.umask(old)
    assert (tmp_path / "o").stat().st_mode & 0o777 == 0o755


@pytest.mark.timeout(120)
def test_sigterm_cleans_up_and_exits_143(tmp_path):
    out = tmp_path / "o"
    proc = subprocess.Popen([sys.executable, "-m", "recoverysim", "run", "japan_baseline", "--population", "3000",
                             "--years", "20", "--replications", "4", "--quiet", "--out", str(out)],
                            cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not [p for p in tmp_path.iterdir() if ".partial-" in p.name] and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert "terminated" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_result_folders_are_recognised_by_their_manifest(tmp_path):
    from recoverysim.results import write_manifest

    cases = {"ours": {"recoverysim_version": "1"}, "nested": {"manifest": {"recoverysim_version": "1"}},
             "foreign": {"name": "some other tool"}, "broken": None}
    for name, data in cases.items():
        (tmp_path / name).mkdir()
        text = "{not json" if data is None else json.dumps(data)
        (tmp_path / name / "manifest.json").write_text(text)
    (tmp_path / "written").mkdir()
    write_manifest(tmp_path / "written", "run", {"seeds": [1]})
    assert [n for n in (*cases, "written") if is_result_folder(tmp_path / n)] == ["ours", "nested", "written"]
