"""Kill rate per rule module from ``mutmut results --all true``, less the equivalent mutants of docs/mutation.md.

Usage: python benchmarks/mutation_summary.py mutants/results.txt [docs/mutation.md]

A mutant counts as killed when a test failed on it (or it timed out); every other status (survived, no tests,
suspicious, skipped) counts against the rate. Mutants named (in backticks) in docs/mutation.md's sections
"Equivalent mutants" and "Precision-only mutants" are left out of the denominator; a second rate counts the
precision-only ones as not killed. Prints a Markdown table and the mutants not accounted for.
"""

import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

KILLED = {"killed", "timeout"}
LINE = re.compile(r"^\s*(recoverysim\.\S+__mutmut_\d+):\s*(\w[\w ]*)$")


def read_results(text: str) -> dict[str, str]:
    """Mutant name to status."""
    return {m.group(1): m.group(2).strip() for m in map(LINE.match, text.splitlines()) if m}


def named_in(doc: str, heading: str) -> set[str]:
    """Mutants named in the section of ``doc`` under ``## heading``."""
    section = doc.split(f"## {heading}", 1)[-1] if f"## {heading}" in doc else ""
    section = section.split("\n## ", 1)[0]
    return set(re.findall(r"`(recoverysim\.[^`]+__mutmut_\d+)`", section))


def module_of(name: str) -> str:
    return name.split(".")[1]


def main(results_path: str, doc_path: str = "docs/mutation.md") -> None:
    results = read_results(Path(results_path).read_text())
    doc = Path(doc_path)
    text = doc.read_text() if doc.exists() else ""
    equivalent, precision = named_in(text, "Equivalent mutants"), named_in(text, "Precision-only mutants")
    by_module: dict[str, Counter] = defaultdict(Counter)
    survivors = []
    for name, status in sorted(results.items()):
        counts = by_module[module_of(name)]
        counts["total"] += 1
        if status in KILLED:  # killed by a test added after it was listed: killed
            counts["killed"] += 1
        elif name in equivalent:
            counts["equivalent"] += 1
        elif name in precision:
            counts["precision-only"] += 1
        else:
            counts["not killed"] += 1
            survivors.append(f"{name}: {status}")
    print("| module | mutants | equivalent | precision-only | killed | not killed | kill rate "
          "| counting precision-only |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    total = Counter()
    for module, counts in sorted(by_module.items()):
        total.update(counts)
        print(_row(module, counts))
    print(_row("**all rule modules**", total))
    print(f"\n{len(survivors)} mutants not killed and not listed as equivalent:")
    print("\n".join(survivors))


def _row(label: str, c: Counter) -> str:
    judged = c["killed"] + c["not killed"]
    rate = f"{100 * c['killed'] / judged:.1f}%" if judged else "-"
    strict = f"{100 * c['killed'] / (judged + c['precision-only']):.1f}%" if judged else "-"
    return (f"| {label} | {c['total']} | {c['equivalent']} | {c['precision-only']} | {c['killed']} | "
            f"{c['not killed']} | {rate} | {strict} |")


if __name__ == "__main__":
    main(*sys.argv[1:])
