"""The README's Python API tour runs as written (at a smaller size)."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_api_example_runs():
    text = (ROOT / "README.md").read_text()
    block = text.split("## Python API", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    assert "RecoveryModel" in block and "simulate_headline" in block
    small = block.replace('"population.size": 5000', '"population.size": 300').replace("replications=10",
                                                                                      "replications=2")
    assert small != block  # the sizes the test shrinks are still the ones in the README
    cwd = os.getcwd()
    os.chdir(ROOT)  # the example uses paths relative to the repository root
    try:
        exec(compile(small, "README.md", "exec"), {})
    finally:
        os.chdir(cwd)
