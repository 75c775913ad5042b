"""`miniplay doc`: a module's documentation, read from its argument schema.

Takes: `miniplay doc MODULE`, `miniplay doc --list`, optionally `--playbook-dir DIR`
(whose `library/NAME.schema.json` files are found too, and win over built-ins, as a
library module does). Gives: plain text on stdout: the description, each argument
(type, default, required, choices, aliases) and the examples; or one line per module.
Raises: nothing; an unknown module prints a did-you-mean on stderr and returns 1.

Why from the schemas: they are the same data `miniplay validate` checks arguments
with, so the documentation can never disagree with what is accepted.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from miniplay.paths import schemas_dir

WIDTH = 80
INDENT = "        "


def schema_files(playbook_dir: str | None) -> dict[str, Path]:
    """Module name → schema file; a playbook's `library/` wins over the built-ins."""
    found = {p.name.removesuffix(".schema.json"): p
             for p in sorted((schemas_dir() / "modules").glob("*.schema.json"))}
    if playbook_dir:
        library = Path(playbook_dir) / "library"
        found.update({p.name.removesuffix(".schema.json"): p
                      for p in sorted(library.glob("*.schema.json"))})
    return found


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def wrap(text: str, indent: str = INDENT) -> list[str]:
    return textwrap.wrap(" ".join(text.split()), WIDTH, initial_indent=indent,
                         subsequent_indent=indent) or [indent.rstrip()]


def shown(value: Any) -> str:
    """A default or choice as YAML would spell it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value) if value == "" or value != value.strip() or "\n" in value \
            else value
    return json.dumps(value)


def type_of(prop: dict[str, Any]) -> str:
    kind = prop.get("type")
    if isinstance(kind, list):
        return " or ".join(str(k) for k in kind)
    return str(kind) if kind else "any"


def option_lines(name: str, prop: dict[str, Any], required: bool) -> list[str]:
    """One argument: its marker line, description and facts."""
    lines = [f"{'=' if required else '-'} {name}"]
    lines += wrap(str(prop.get("description", "")))
    if "enum" in prop:
        lines += wrap("choices: " + ", ".join(shown(c) for c in prop["enum"]))
    if "default" in prop:
        lines.append(f"{INDENT}default: {shown(prop['default'])}")
    if prop.get("x-aliases"):
        lines.append(f"{INDENT}aliases: {', '.join(prop['x-aliases'])}")
    lines.append(f"{INDENT}type: {type_of(prop)}")
    return lines


def constraint_lines(schema: dict[str, Any]) -> list[str]:
    """Rules between arguments (mutually exclusive, one of them required)."""
    lines: list[str] = []
    for key, words in (("x-mutually-exclusive", "mutually exclusive"),
                       ("x-required-one-of", "one of these is required")):
        for group in schema.get(key, []):
            lines += wrap(f"{', '.join(group)}: {words}", "  ")
    return lines


def render(name: str, schema: dict[str, Any], source: str) -> str:
    """The whole page for one module."""
    out = [f"> {name.upper()}    ({source})", ""]
    out += wrap(str(schema.get("description", "")), "  ")
    props: dict[str, Any] = schema.get("properties", {})
    options = {k: v for k, v in props.items() if "x-alias-of" not in v
               and not k.startswith("_")}
    required = set(schema.get("required", []))
    if options:
        out += ["", "OPTIONS (= is mandatory):"]
        for key in sorted(options, key=lambda k: (k not in required, k)):
            out += ["", *option_lines(key, options[key], key in required)]
    else:
        out += ["", "OPTIONS: none"]
    rules = constraint_lines(schema)
    if rules:
        out += ["", "RULES:", *rules]
    if "x-supports-async" in schema:
        out += ["", f"ASYNC: {'supported' if schema['x-supports-async'] else 'not supported'}"]
    examples = schema.get("examples", [])
    if examples:
        out += ["", "EXAMPLES:"]
        for example in examples:
            out += ["", *(f"  {line}".rstrip() for line in str(example).splitlines())]
    return "\n".join(out) + "\n"


def first_sentence(text: str) -> str:
    text = " ".join(text.split())
    return re.split(r"\.\s+(?=[A-Z`])", text)[0].rstrip(".")


def listing(files: dict[str, Path]) -> str:
    """One line per module: name and the first sentence of its description."""
    width = max((len(n) for n in files), default=0) + 2
    lines = []
    for name in sorted(files):
        try:
            description = first_sentence(str(load(files[name]).get("description", "")))
        except (OSError, ValueError) as exc:
            description = f"(unreadable schema: {exc})"
        lines.append(f"{name.ljust(width)}{description}")
    return "\n".join(lines) + "\n"


def show(name: str, files: dict[str, Path], out: TextIO, err: TextIO) -> int:
    path = files.get(name.removeprefix("ansible.builtin.").removeprefix("ansible.legacy."))
    if path is None:
        close = difflib.get_close_matches(name, list(files), n=3)
        hint = f"; did you mean {' or '.join(close)}?" if close else ""
        err.write(f"miniplay doc: no documentation for module {name!r}{hint}\n"
                  "  hint: `miniplay doc --list` lists the modules; a library/ module is "
                  "documented by library/NAME.schema.json (use --playbook-dir)\n")
        return 1
    try:
        schema = load(path)
    except (OSError, ValueError) as exc:
        err.write(f"miniplay doc: cannot read {path}: {exc}\n")
        return 1
    builtin = path.parent == schemas_dir() / "modules"
    out.write(render(path.name.removesuffix(".schema.json"), schema,
                     "built-in" if builtin else str(path)))
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="miniplay doc",
                                description="Show a module's arguments and examples.")
    p.add_argument("module", nargs="?", help="module name (e.g. copy)")
    p.add_argument("-l", "--list", action="store_true", help="list every module")
    p.add_argument("--playbook-dir", help="also read DIR/library/*.schema.json")
    return p


def main_doc(argv: Sequence[str], out: TextIO | None = None,
             err: TextIO | None = None) -> int:
    """`miniplay doc ...`; the exit code (0, or 1 for an unknown module, 2 for usage)."""
    out, err = out or sys.stdout, err or sys.stderr
    args = parser().parse_args(list(argv))
    files = schema_files(args.playbook_dir)
    if args.list:
        out.write(listing(files))
        return 0
    if not args.module:
        err.write("miniplay doc: give a module name, or --list\n")
        return 2
    return show(args.module, files, out, err)
