"""The compare folder and its report: files, self-contained HTML with the table and every figure, atomicity."""

import ast
import dataclasses
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from recoverysim import compare as compare_mod
from recoverysim.cli import main
from recoverysim.outcomes import OUTCOMES
from recoverysim.report import FIGURES, KEY_OUTCOMES, render_html, render_markdown, verdict

SCENARIOS = ["japan_baseline", "trauma_informed_care", "crisis_advocacy"]
ARGS = ["--population", "400", "--years", "3", "--replications", "3", "--seed", "99", "--quiet"]


class Tables(HTMLParser):
    """Counts rows in the body of each table, by class."""

    def __init__(self):
        super().__init__()
        self.rows: dict[str, int] = {}
        self.images: list[str] = []
        self._table = None
        self._in_body = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self._table = a.get("class", "")
            self.rows.setdefault(self._table, 0)
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self.rows[self._table] += 1
        elif tag == "img":
            self.images.append(a.get("src", ""))

    def handle_endtag(self, tag):
        if tag == "tbody":
            self._in_body = False


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("cmp") / "out"
    assert main(["compare", *SCENARIOS, "--out", str(out), *ARGS]) == 0
    return out


def test_folder_contents(folder):
    for name in ("differences.csv", "occupancy_differences.csv", "crn.csv", "manifest.json", "report.html",
                 "report.md"):
        assert (folder / name).is_file(), name
    for name in SCENARIOS:
        run = folder / "runs" / name
        assert (run / "manifest.json").is_file() and (run / "summary.csv").is_file()
    assert sorted(p.name for p in (folder / "figures").iterdir()) == sorted(FIGURES)
    diff = pd.read_csv(folder / "differences.csv")
    assert list(diff.columns) == ["scenario", "metric", "base_mean", "scenario_mean", "difference", "ci_low",
                                  "ci_high", "relative_change"]
    assert set(diff["scenario"]) == set(SCENARIOS[1:])
    assert set(OUTCOMES) <= set(diff["metric"])
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")], "temporary folders left behind"


def test_report_html_has_table_and_every_figure(folder):
    text = (folder / "report.html").read_text(encoding="utf-8")
    parser = Tables()
    parser.feed(text)
    assert text.count('<img src="data:image/png;base64,') == len(FIGURES) == len(parser.images)
    assert parser.rows["differences"] == (len(SCENARIOS) - 1) * len(OUTCOMES)
    assert parser.rows["scenarios"] == len(SCENARIOS)
    assert parser.rows["crn"] == (len(SCENARIOS) - 1) * len(KEY_OUTCOMES)
    assert not re.search(r'src="(?!data:)', text), "report must be self-contained"
    for heading in ("Summary for decision-makers", "What was compared", "How sure are we?", "Assumptions and limits",
                    "Appendix: all headline outcomes"):
        assert heading in text
    for metric in OUTCOMES:
        assert metric in text


def test_report_markdown_links_figures(folder):
    md = (folder / "report.md").read_text(encoding="utf-8")
    for name in FIGURES:
        assert f"](figures/{name})" in md
    assert md.count(f"| share_reunion_end | {OUTCOMES['share_reunion_end'].description} |") == len(SCENARIOS) - 1


def test_crn_narrows_intervals(folder):
    crn = pd.read_csv(folder / "crn.csv")
    assert crn["variance_reduction"].median() > 1
    assert (crn["width_crn"] <= crn["width_independent"]).mean() > 0.5


def test_failure_while_writing_leaves_nothing(tmp_path, monkeypatch):
    def boom(*_a, **_k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(compare_mod, "write_comparison", boom)
    out = tmp_path / "cmp"
    # An unexpected error is one line and exit 1 (cli.main), and no folder is left.
    assert main(["compare", *SCENARIOS[:2], "--out", str(out), "--population", "100", "--years", "1",
                 "--replications", "2", "--quiet", "--no-independent"]) == 1
    assert list(tmp_path.iterdir()) == []


def test_renderers_escape_and_verdicts():
    blocks = [("h1", "a <b>"), ("table", "differences", ["x|y"], [["better", "<i>"]]), ("fig", "missing.png")]
    html = render_html(blocks, {})
    assert "a &lt;b&gt;" in html and "&lt;i&gt;" in html and '<td class="better">' in html and "<img" not in html
    assert "x\\|y" in render_markdown(blocks, {})
    assert verdict("share_reunion_end", 0.01, 0.02) == "better"
    assert verdict("bed_days_per_person_year", 0.01, 0.02) == "worse"
    assert verdict("bed_days_per_person_year", -0.01, 0.02) == "no clear difference"
    assert verdict("share_safety_end", -0.02, -0.01) == "lower"


def test_library_leaves_the_backend_and_pyplot_alone(tmp_path):
    """Importing and drawing with the figure modules keeps the user's backend and never starts pyplot."""
    code = f"""
import sys
import matplotlib
matplotlib.use("svg")
import numpy as np, pandas as pd
import recoverysim.figures as f, recoverysim.report, recoverysim.calibration.report, recoverysim.sensitivity.figures
from recoverysim.parameters import STAGES
ts = pd.DataFrame({{"week": np.repeat(np.arange(5), 2), **{{s: np.arange(10) + 1 for s in STAGES}}}})
f.stage_occupancy(ts, __import__("pathlib").Path({str(tmp_path / "occ.png")!r}))
print(matplotlib.get_backend(), "matplotlib.pyplot" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["svg", "False"]
    assert (tmp_path / "occ.png").read_bytes()[:4] == b"\x89PNG"


def test_no_matplotlib_use_in_library_code():
    package = Path(__file__).resolve().parents[1] / "recoverysim"
    calls = []
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "use" \
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "matplotlib":
                calls.append(f"{path.name}:{node.lineno}")
    assert calls == []


def test_first_screen_is_a_summary_table_with_human_names_and_subgroups(folder):
    from recoverysim.codes import DIAGNOSES
    from recoverysim.report_summary import SUMMARY_OUTCOMES, human, level_text

    text = (folder / "report.html").read_text(encoding="utf-8")
    parser = Tables()
    parser.feed(text)
    assert parser.rows["summary"] == len(SUMMARY_OUTCOMES)
    assert parser.rows["subgroups"] == (len(SCENARIOS) - 1) * (2 + len(DIAGNOSES))
    assert parser.rows["costs"] == len(SCENARIOS) - 1 and "Net cost per person-year" in text
    # the summary comes before the methods, and says that its intervals hold chance only
    assert text.index("Summary for decision-makers") < text.index("What was compared") < text.index("Appendix")
    assert "chance only" in text[: text.index("What was compared")]
    assert human("trauma_informed_care") == "Trauma informed care" and "Trauma informed care" in text
    assert level_text(3.0, "median_years_to_reunion", 3) == "not reached within 3 years"
    assert level_text(2.5, "median_years_to_reunion", 3) == "2.5"


def test_subgroup_differences_are_the_paired_mean_over_replicates():
    # Oracle: each replicate's subgroup share, paired by hand and averaged with its t interval.
    import numpy as np
    from scipy import stats

    from recoverysim.compare import run_comparison
    from recoverysim.report_summary import subgroup_differences
    from recoverysim.scenario import Reform, load_scenario

    base = load_scenario(compare_mod.resolve_scenario("japan_baseline"),
                         {"population.size": 500, "run.years": 3, "run.spin_up_years": 2})
    other = base.with_reforms((Reform("crisis_advocacy", start_year=0, ramp_years=0, coverage=1.0),))
    other = dataclasses.replace(other, name="advocacy")
    comparison = run_comparison([base, other], replications=4, seed=3, independent=False)
    table = subgroup_differences(comparison).set_index(["subgroup", "level"])
    for r, (b, o) in enumerate(zip(comparison.base.runs, comparison.others[0].runs, strict=True)):
        assert b.replicate == o.replicate == r
    share = {}
    for name, runs in (("base", comparison.base.runs), ("other", comparison.others[0].runs)):
        share[name] = np.array([run.subgroups.query("subgroup == 'gender' and level == 'female' and "
                                                    "stage == 'reunion'")["share_end"].iloc[0] for run in runs])
    d = share["other"] - share["base"]
    half = stats.t.ppf(0.975, d.size - 1) * d.std(ddof=1) / np.sqrt(d.size)
    row = table.loc[("gender", "female")]
    assert row.difference == pytest.approx(d.mean()) and row.ci_low == pytest.approx(d.mean() - half)
    assert row.base_share == pytest.approx(share["base"].mean())
