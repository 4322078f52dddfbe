"""Experiment files: the shipped ones load; each kind of mistake is a clear error naming file and key."""

from pathlib import Path

import pytest

from recoverysim.errors import RecoverysimError
from recoverysim.sensitivity.experiment import ExperimentError, load_experiment

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = (ROOT / "scenarios" / "japan_baseline.toml").as_posix()

GOOD = f"""
scenario = "{SCENARIO}"
method = "sobol"
n = 8
seed = 3
parameters = ["roots.advocacy_gap", "levers.coercion"]
outputs = ["share_reunion_end"]
"""


def write(tmp_path, text, name="exp.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_second_order_override_sets_the_sobol_design_and_is_refused_for_other_methods():
    shipped = load_experiment(ROOT / "experiments" / "sobol_barriers.toml")
    full = load_experiment(ROOT / "experiments" / "sobol_barriers.toml", n=256, second_order=True)
    d = full.design.d
    assert shipped.design.n_rows == 64 * (d + 2)
    assert full.design.n_rows == 256 * (2 * d + 2) == 10_752  # the full target
    assert full.overrides == {"n": 256, "second_order": True}
    with pytest.raises(ExperimentError, match="second-order applies to sobol"):
        load_experiment(ROOT / "experiments" / "morris_screening.toml", second_order=True)


@pytest.mark.parametrize("name", ["morris_screening.toml", "sobol_barriers.toml"])
def test_shipped_experiments_load(name):
    exp = load_experiment(ROOT / "experiments" / name)
    assert exp.scenario.is_file() and exp.outputs
    if name.startswith("sobol"):
        assert 18 <= exp.design.d <= 22
    else:
        roots = [p for p in exp.design.names if p.startswith("roots.")]
        levers = [p for p in exp.design.names if p.startswith("levers.")]
        assert len(roots) == 6 and len(levers) == 6


def test_defaults_and_explicit_bounds(tmp_path):
    exp = load_experiment(write(tmp_path, GOOD + '[bounds]\n"levers.coercion" = [0.1, 0.6]\n'))
    assert exp.design.bounds == ((0.0, 1.0), (0.1, 0.6))
    assert exp.design.options == {"second_order": True} and exp.replications == 1
    nested = load_experiment(write(tmp_path, GOOD + "[bounds]\nlevers.coercion = [0.2, 0.3]\n", "b.toml"))
    assert nested.design.bounds[1] == (0.2, 0.3)
    shrunk = load_experiment(write(tmp_path, GOOD), n=4, population=100, replications=2)
    assert (shrunk.design.n, shrunk.population, shrunk.replications) == (4, 100, 2)


BAD = [
    # (replacement or addition, key named in the message, words in the message)
    (GOOD.replace('"levers.coercion"', '"levers.coersion"'), "parameters[1]", "did you mean 'levers.coercion'"),
    (GOOD + '[bounds]\n"levers.coercion" = [0.6, 0.2]\n', "bounds.levers.coercion", "must be below"),
    (GOOD + '[bounds]\n"levers.coercion" = [0.5, 1.5]\n', "bounds.levers.coercion", "outside the declared"),
    (GOOD + '[bounds]\n"levers.coercion" = "wide"\n', "bounds.levers.coercion", "[low, high]"),
    (GOOD + '[bounds]\n"crisis.rate" = [0.1, 0.2]\n', "bounds.crisis.rate", "not in 'parameters'"),
    (GOOD.replace('"sobol"', '"sobel"'), "method", "unknown method 'sobel'"),
    (GOOD.replace('"share_reunion_end"', '"share_reunion"'), "outputs[0]", "unknown output"),
    (GOOD + "replicatons = 3\n", "replicatons", "did you mean 'replications'"),
    (GOOD + "[sobol]\nsecond = true\n", "sobol.second", "unknown sobol option"),
    (GOOD + "[morris]\nlevels = 4\n", "morris", "but method is 'sobol'"),
    (GOOD.replace("n = 8", "n = 10"), "n", "power of 2"),
    (GOOD.replace("n = 8", 'n = "big"'), "n", "integer"),
    (GOOD.replace("japan_baseline.toml", "nowhere.toml"), "scenario", "scenario file not found"),
    (GOOD.replace('"roots.advocacy_gap", ', '"run.seed", '), "parameters[0]", "cannot be varied"),
    (GOOD.replace('"roots.advocacy_gap", ', '"loops.peer_burnout", '), "parameters[0]", "cannot vary"),
    (GOOD.replace("seed = 3", "seed = -1"), "seed", "integer"),
    (GOOD + "population = 3\n", "population", "integer in [10,"),
    (GOOD.replace('outputs = ["share_reunion_end"]', ""), "outputs", "missing required key"),
    (GOOD.replace('method = "sobol"', 'method = "morris"') + "[morris]\nlevels = 3\n", "morris.levels", "even"),
    (GOOD.replace('method = "sobol"', 'method = "fast"'), "n", "FAST needs n > 4 M^2"),
]


@pytest.mark.parametrize(("text", "key", "words"), BAD, ids=[b[1] + ":" + b[2][:12] for b in BAD])
def test_bad_experiment_names_file_and_key(tmp_path, text, key, words):
    path = write(tmp_path, text)
    with pytest.raises(ExperimentError) as info:
        load_experiment(path)
    assert isinstance(info.value, RecoverysimError)
    msg = str(info.value)
    assert msg.startswith(f"{path}: {key}: "), msg
    assert words in msg, msg


def test_malformed_toml_and_missing_file(tmp_path):
    with pytest.raises(ExperimentError, match=r"exp\.toml: malformed TOML"):
        load_experiment(write(tmp_path, "method = [unclosed"))
    with pytest.raises(ExperimentError, match="experiment file not found"):
        load_experiment(tmp_path / "absent.toml")


def test_cli_input_errors_leave_no_results_folder(tmp_path, capsys):
    from recoverysim.sensitivity.cli import main

    out = tmp_path / "out"
    bad = write(tmp_path, GOOD.replace('"sobol"', '"sobel"'))
    assert main([str(bad), "--out", str(out), "--no-progress"]) == 2
    assert "unknown method 'sobel'" in capsys.readouterr().err
    assert not out.exists()
    # Bounds that make the scenario invalid are caught before the folder exists too.
    shares = write(tmp_path, GOOD.replace('"roots.advocacy_gap", ', '"population.share_schizophrenia", '
                                          '"population.share_mood", '), "shares.toml")
    assert main([str(shares), "--out", str(out), "--no-progress"]) == 2
    assert "share_schizophrenia + share_mood" in capsys.readouterr().err
    assert not out.exists()


def test_cli_refuses_a_non_empty_folder_without_resume(tmp_path, capsys):
    from recoverysim.sensitivity.cli import main

    out = tmp_path / "out"
    out.mkdir()
    (out / "something.txt").write_text("x")
    assert main([str(write(tmp_path, GOOD)), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "not empty" in err and "--resume" in err
    assert sorted(p.name for p in out.iterdir()) == ["something.txt"]
