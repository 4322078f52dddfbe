"""The teaching notebooks run from top to bottom (their code cells, at a tiny size)."""

import json
import os
from pathlib import Path

import matplotlib

ROOT = Path(__file__).resolve().parents[1]


def test_feedback_loops_notebook_runs(tmp_path, monkeypatch):
    matplotlib.use("Agg")
    nb = json.loads((ROOT / "notebooks" / "feedback_loops.ipynb").read_text())
    code = "\n\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    code = code.replace("SIZE, YEARS, REPLICATES = 3000, 10, 3", "SIZE, YEARS, REPLICATES = 200, 1, 1")
    monkeypatch.chdir(tmp_path)
    os.environ["MPLBACKEND"] = "Agg"
    namespace = {"__name__": "__notebook__"}
    root_line = 'ROOT = Path.cwd().parent if Path.cwd().name == "notebooks" else Path.cwd()'
    assert root_line in code
    exec(compile(code.replace(root_line, f"ROOT = Path({str(ROOT)!r})"), "notebook", "exec"), namespace)
    assert set(namespace["runs"]) == {"all loops on", *(f"{loop} off" for loop in namespace["LOOPS"])}
    assert (tmp_path / "causal_loops.png").exists()
