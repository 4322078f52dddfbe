"""The teaching notebooks run top to bottom on a real Jupyter kernel, at small sizes, and show their figures.

Each notebook's first code cell sets its size variables; the test inserts a cell after it that shrinks them.
A plotting cell (one that calls ``plt.show()`` or displays an ``Image``) must output an image/png.
"""

import asyncio
import re
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
SMALL = {
    "tour.ipynb": "SIZE, YEARS, REPLICATES = 300, 3, 2",
    "feedback_loops.ipynb": "SIZE, YEARS, REPLICATES = 300, 3, 2",
    "comparing_reforms.ipynb": "SIZE, YEARS, REPLICATES = 300, 3, 2",
    "sensitivity_analysis.ipynb": "SIZE, YEARS, TRAJECTORIES = 200, 2, 2",
    "calibration_validation.ipynb": "SIZE, YEARS, REPLICATES, POINTS = 300, 3, 2, 2",
}
PLOTTING = re.compile(r"plt\.show\(\)|display\(Image\(")


def test_every_notebook_is_listed_and_committed_without_outputs():
    found = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert found == sorted(SMALL)
    for name in found:
        nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert all(not c.outputs and c.execution_count is None for c in code), f"{name} has outputs"
        assert code[0].source.split("\n")[-1].split("=")[0] == SMALL[name].split("=")[0], name
        text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        assert "Things to notice" in text and "Things to try" in text and "docs/glossary.md" in text, name
        assert any(PLOTTING.search(c.source) for c in code), name


async def _execute_all(folder: Path) -> dict[str, tuple[nbformat.NotebookNode, float]]:
    """Run every notebook (at its small size) on its own kernel, concurrently: kernels spend much of their
    start-up waiting, so the five together take well under five times one."""

    async def one(name: str):
        nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
        first = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
        nb.cells.insert(first + 1, nbformat.v4.new_code_cell(SMALL[name]))
        (folder / name).mkdir()
        start = time.perf_counter()
        await NotebookClient(nb, timeout=100, kernel_name="python3",
                             resources={"metadata": {"path": str(folder / name)}}).async_execute()
        return name, (nb, time.perf_counter() - start)

    return dict(await asyncio.gather(*(one(name) for name in sorted(SMALL))))


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.delenv("MPLBACKEND", raising=False)  # the kernel's inline backend must be the one in use
    try:
        return asyncio.run(_execute_all(tmp_path_factory.mktemp("notebooks")))
    finally:
        mp.undo()


@pytest.mark.timeout(180)
@pytest.mark.parametrize("name", sorted(SMALL))
def test_notebook_runs_on_a_kernel_and_shows_its_figures(name, executed):
    nb, seconds = executed[name]
    plotting = [c for c in nb.cells if c.cell_type == "code" and PLOTTING.search(c.source)]
    for cell in plotting:
        images = [o for o in cell.outputs if "image/png" in o.get("data", {})]
        assert images, f"{name}: this cell shows no figure:\n{cell.source[:200]}"
    assert seconds < 120, f"{name} took {seconds:.0f} s at the test size"
