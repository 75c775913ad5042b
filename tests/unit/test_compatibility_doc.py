"""docs/compatibility.md is true: equal to the audit, and every `refused` row is refused.

The audit (compat_audit.py) reads ansible-core's vocabulary from the installed package and
miniplay's from its registries; this test regenerates it and compares, then asks miniplay
about each refused filter, test and `with_` word: each must fail with an error naming it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from compat_audit import REPO, render

from miniplay.errors import MiniplayError
from miniplay.keywords import loop_problem
from miniplay.templating import Templar

DOC = REPO / "docs" / "compatibility.md"


def _rows(state: str, kind: str) -> list[str]:
    pattern = re.compile(rf"^\| {re.escape(kind)} \| `([^`]+)` \| {state} \|", re.M)
    return pattern.findall(DOC.read_text())


def test_doc_is_current() -> None:
    assert DOC.read_text() == render(), (
        "docs/compatibility.md is out of date: python tests/unit/compat_audit.py "
        "> docs/compatibility.md")


@pytest.mark.parametrize(("kind", "template"), [
    ("filter", "{{ 1 | NAME }}"),
    ("test", "{{ 1 is NAME }}"),
])
def test_refused_plugins_fail_naming_themselves(kind: str, template: str) -> None:
    templar = Templar()
    names = _rows("refused", kind)
    for name in names:
        with pytest.raises(MiniplayError) as caught:
            templar.render(template.replace("NAME", name), {})
        assert name in caught.value.message, (kind, name, caught.value.message)


def test_refused_loop_words_are_named() -> None:
    for word in _rows("refused", "with_ word"):
        problem = loop_problem(word)
        assert problem is not None, word
        assert word in problem[0] or word[5:] in problem[0], problem


def test_every_kind_is_audited() -> None:
    text = Path(DOC).read_text()
    for kind in ("play keyword", "block keyword", "task keyword", "loop_control", "filter",
                 "test", "lookup", "with_ word", "module"):
        assert f"| {kind} |" in text, kind
