"""docs/glossary.md names only declared parameters and covers every stage, barrier, root, reform, loop,
lever and headline outcome."""

import re
from pathlib import Path

from recoverysim.outcomes import OUTCOMES
from recoverysim.parameters import BARRIERS, LEVERS, LOOPS, PARAMETERS, REFORMS, ROOTS, SECTIONS, STAGES

TEXT = (Path(__file__).resolve().parents[1] / "docs" / "glossary.md").read_text(encoding="utf-8")


def test_every_dotted_name_is_a_declared_parameter():
    sections = "|".join(SECTIONS)
    named = set(re.findall(rf"`((?:{sections})\.[a-z0-9_]+)`", TEXT))
    assert named, "the glossary names no parameters"
    assert sorted(named - set(PARAMETERS)) == []


def test_every_model_element_has_an_entry():
    entries = set(re.findall(r"`([a-z0-9_.]+)`", TEXT))
    wanted = {*STAGES, *BARRIERS, *ROOTS, *REFORMS, *LOOPS, *(f"levers.{k}" for k in LEVERS), *OUTCOMES}
    assert sorted(wanted - entries) == []
    for loop in LOOPS:
        assert re.search(rf"^\| `{loop}` \([RB]\d\)", TEXT, flags=re.M), loop
