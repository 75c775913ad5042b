"""The silent-acceptance audit behind docs/compatibility.md.

    python tests/unit/compat_audit.py > docs/compatibility.md

Takes: ansible-core 2.19's vocabulary, read from the installed package at run time (play,
block, task and loop_control keywords from its FieldAttributes, the ansible.builtin
filters, tests and lookups, Jinja's own filters and tests, the ansible.builtin modules
and actions), and miniplay's own registries. Gives: one Markdown table, one row per
name, with its state in miniplay:

- **conformance**: built, and named in a conformance case (a playbook run under both
  tools and compared); the cases are listed;
- **built**: built, but no conformance case names it yet (unit tests only);
- **refused**: miniplay stops before running anything, with an error naming it.

Names miniplay knows that Ansible does not (its own extensions) are listed too.
test_compatibility_doc.py holds docs/compatibility.md equal to this output and checks
every `refused` row by asking miniplay: a template, a loop word or a keyword that is
refused must produce an error that names it.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import sys
from collections.abc import Iterable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CONFORMANCE = REPO / "tests" / "fixtures" / "conformance"
HEADER = """\
# Compatibility with ansible-core 2.19: the audit

Every keyword, `with_` word, filter, test, lookup and module of ansible-core 2.19
(ansible.builtin), and each state in miniplay. Made by `python tests/unit/compat_audit.py
> docs/compatibility.md` from ansible-core's installed package and miniplay's registries;
`tests/unit/test_compatibility_doc.py` fails when this page is out of date and checks that
every `refused` name really is refused with an error naming it.

| state | meaning |
|---|---|
| conformance | built; the listed conformance cases (`tests/fixtures/conformance/`) \
run it under ansible-playbook and miniplay and agree |
| built | built and unit-tested; no conformance case names it yet |
| refused | not built: miniplay refuses it before anything runs, with an error naming it |
| miniplay | a miniplay extension (no such name in Ansible) |

Module arguments are checked against each module's schema in `schemas/modules/`: an
argument the schema does not list is refused by `validate` and before a run.

| kind | name | state | evidence |
|---|---|---|---|
"""


def _cases() -> dict[str, str]:
    return {path.stem: path.read_text() for path in sorted(CONFORMANCE.glob("*.yml"))
            if path.name != "ssh_inventory.ini"}


CASES = _cases()


def evidence(patterns: Iterable[str]) -> list[str]:
    compiled = [re.compile(p, re.M) for p in patterns]
    return [name for name, text in CASES.items() if any(c.search(text) for c in compiled)]


# --- ansible's vocabulary --------------------------------------------------------------

def ansible_keywords() -> dict[str, set[str]]:
    from ansible.playbook.block import Block
    from ansible.playbook.loop_control import LoopControl
    from ansible.playbook.play import Play
    from ansible.playbook.task import Task

    hidden = {"async_val", "loop_with"}
    return {
        "play keyword": set(Play.fattributes) - hidden,
        "block keyword": set(Block.fattributes) - hidden,
        "task keyword": (set(Task.fattributes) - hidden) | {"listen", "local_action"},
        "loop_control": set(LoopControl.fattributes),
    }


def _plugin_names(package: str, kind: str) -> set[str]:
    module = importlib.import_module(package)
    names: set[str] = set()
    for info in pkgutil.iter_modules(module.__path__):
        loaded = importlib.import_module(f"{package}.{info.name}")
        holder = getattr(loaded, "FilterModule" if kind == "filters" else "TestModule", None)
        if holder is not None:
            names |= set(getattr(holder(), kind)())
    return names


def ansible_filters() -> set[str]:
    import jinja2.filters

    return _plugin_names("ansible.plugins.filter", "filters") | set(jinja2.filters.FILTERS)


def ansible_tests() -> set[str]:
    import jinja2.tests

    return _plugin_names("ansible.plugins.test", "tests") | set(jinja2.tests.TESTS)


def ansible_lookups() -> set[str]:
    import ansible.plugins.lookup as lookups

    return {info.name for info in pkgutil.iter_modules(lookups.__path__)}


def ansible_modules() -> set[str]:
    import ansible.modules as modules
    import ansible.plugins.action as actions

    found = {info.name for info in pkgutil.iter_modules(modules.__path__)}
    found |= {info.name for info in pkgutil.iter_modules(actions.__path__)}
    return {name for name in found if not name.startswith("_")} - {"normal"}


# --- miniplay's ------------------------------------------------------------------------

def miniplay_keywords() -> dict[str, set[str]]:
    from miniplay import keywords

    return {
        "play keyword": set(keywords.PLAY_KEYWORDS),
        "block keyword": set(keywords.BLOCK_KEYWORDS),
        "task keyword": set(keywords.HANDLER_KEYWORDS),
        "loop_control": set(getattr(keywords, "LOOP_CONTROL_KEYS", ())) or _loop_control(),
    }


def _loop_control() -> set[str]:
    import json

    schema = json.loads((REPO / "schemas" / "playbook.schema.json").read_text())
    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            props = node.get("properties")
            if isinstance(props, dict) and "loop_var" in props:
                found.update(props)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return found


def not_built_keywords() -> set[str]:
    from miniplay import keywords
    from miniplay.executor import preflight

    return set(keywords.NOT_BUILT) | set(preflight._TASK_FEATURES)


def miniplay_templar_names() -> tuple[set[str], set[str]]:
    from miniplay.plugins import filters_encode
    from miniplay.templating import Templar

    env = Templar()._env
    plain = re.compile(r"^[a-z_][a-z0-9_]*$")
    refused = set(getattr(filters_encode, "NOT_BUILT", ()))  # present only to refuse by name
    filters = {n for n in env.filters if plain.match(n)} - refused
    return filters, {n for n in env.tests if plain.match(n)}


def miniplay_lookups() -> set[str]:
    from miniplay import keywords

    names = set(getattr(keywords, "LOOKUP_NAMES", ()))
    return names - set(getattr(keywords, "NOT_BUILT_LOOKUPS", ()))


def miniplay_modules() -> set[str]:
    import miniplay.executor  # noqa: F401  (actions and executor import each other)
    from miniplay.actions import ACTIONS

    names = {p.name.split(".")[0] for p in (REPO / "schemas" / "modules").glob("*.json")}
    return names | set(ACTIONS) | {"meta"}


# --- the table -------------------------------------------------------------------------

def _row(kind: str, name: str, state: str, cases: list[str]) -> str:
    shown = ", ".join(cases[:6]) + (f" (+{len(cases) - 6})" if len(cases) > 6 else "")
    return f"| {kind} | `{name}` | {state} | {shown} |"


def _state(built: bool, cases: list[str]) -> str:
    if not built:
        return "refused"
    return "conformance" if cases else "built"


def keyword_rows() -> list[str]:
    theirs, mine, refused = ansible_keywords(), miniplay_keywords(), not_built_keywords()
    rows = []
    for kind in theirs:
        for name in sorted(theirs[kind] | mine[kind]):
            cases = evidence([rf"^\s*(- )?{re.escape(name)}:"])
            built = name in mine[kind] and name not in refused
            state = "miniplay" if name not in theirs[kind] else _state(built, cases)
            rows.append(_row(kind, name, state, cases if built else []))
    return rows


def plugin_rows() -> list[str]:
    filters, tests = miniplay_templar_names()
    lookups = miniplay_lookups()
    rows = []
    for name in sorted(ansible_filters() | filters):
        cases = evidence([rf"\|\s*(ansible\.builtin\.)?{re.escape(name)}\b"])
        built = name in filters
        state = _state(built, cases) if name in ansible_filters() else "miniplay"
        rows.append(_row("filter", name, state, cases if built else []))
    for name in sorted(ansible_tests() | tests):
        cases = evidence([rf"\bis\s+(not\s+)?(ansible\.builtin\.)?{re.escape(name)}\b"])
        built = name in tests
        state = _state(built, cases) if name in ansible_tests() else "miniplay"
        rows.append(_row("test", name, state, cases if built else []))
    for name in sorted(ansible_lookups() | lookups):
        quoted = re.escape(name)
        cases = evidence([rf"(lookup|query|q)\(\s*['\"]{quoted}['\"]"])
        loops = evidence([rf"^\s*(- )?with_{quoted}:"])
        built = name in lookups
        rows.append(_row("lookup", name, _state(built, cases), cases if built else []))
        rows.append(_row("with_ word", f"with_{name}", _state(built, loops),
                         loops if built else []))
    return rows


def module_rows() -> list[str]:
    mine = miniplay_modules()
    rows = []
    for name in sorted(ansible_modules() | mine):
        quoted = re.escape(name)
        cases = evidence([rf"^\s*(- )?(ansible\.builtin\.)?{quoted}:",
                          rf"^\s*(- )?(local_)?action:\s*(ansible\.builtin\.)?{quoted}\b"])
        built = name in mine
        state = "miniplay" if name not in ansible_modules() else _state(built, cases)
        rows.append(_row("module", name, state, cases if built else []))
    return rows


def render() -> str:
    rows = [*keyword_rows(), *plugin_rows(), *module_rows()]
    counts: dict[str, int] = {}
    for row in rows:
        state = row.split(" | ")[2]
        counts[state] = counts.get(state, 0) + 1
    summary = ", ".join(f"{state}: {count}" for state, count in sorted(counts.items()))
    return HEADER + "\n".join(rows) + f"\n\nTotals: {summary}.\n"


if __name__ == "__main__":
    sys.path.insert(0, str(REPO / "src"))
    sys.stdout.write(render())
