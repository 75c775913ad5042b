"""Where miniplay's own data lives (schemas, target-side modules) and what a module file is.

Takes: nothing. Gives: directories and file paths. Raises: nothing.

An installed wheel carries `schemas/` and `modules/` inside the package
(`miniplay/_data/`); a source checkout (editable install, tests) has them at the
repository root. Both are found the same way, so miniplay works from any directory.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _data_dir(name: str) -> Path:
    packaged = _PACKAGE / "_data" / name
    if packaged.is_dir():
        return packaged
    return _PACKAGE.parent.parent / name


@cache
def schemas_dir() -> Path:
    """The folder holding `playbook.schema.json`, `inventory.schema.json`, `modules/`."""
    return _data_dir("schemas")


@cache
def modules_dir() -> Path:
    """The folder of built-in target-side modules (`modules/NAME.py`)."""
    return _data_dir("modules")


# Files in a module folder that are not modules (ansible-core's MODULE_IGNORE_EXTS, plus
# the `.json` argument schemas and YAML docs that may sit beside a library module).
IGNORED_MODULE_SUFFIXES = (".pyc", ".pyo", ".swp", ".bak", "~", ".rpm", ".md", ".txt",
                           ".rst", ".json", ".yml", ".yaml", ".ini")


def module_name(filename: str) -> str | None:
    """The module a file in a library folder provides: its name without the extension
    (`greet.py`, `greet.sh` and `greet` all give `greet`), as Ansible finds modules; None
    for documentation, schemas, editor backups and helpers (`_name.py`)."""
    if filename.startswith((".", "_")) or filename.endswith(IGNORED_MODULE_SUFFIXES):
        return None
    return filename.split(".", 1)[0] or None
