"""What every lookup receives and declares: `LookupCall`, `LookupSpec`, option helpers.

Takes: nothing. Gives: `LookupCall` (the caller's variables, where the playbook lives,
how to render a template file, and the task's file search path as ansible-core computes
it), `LookupSpec` (a lookup's function, the options it honours with their defaults, the
options it refuses by name) and small converters for option values. Raises:
`LookupFailure` from the converters.

Why a spec per lookup: an option a lookup does not honour must be refused by name before
the lookup runs, never silently dropped; the spec is the one place that says which.
"""

from __future__ import annotations

import decimal
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol


class LookupFailure(Exception):
    """A lookup could not produce its result; the runner words it as ansible-core does."""


class NotBuilt(LookupFailure):
    """A lookup feature miniplay refuses by name (an option value, a vault file): never
    turned into None by `errors='ignore'`, since Ansible would have given a value."""


class FileRenderer(Protocol):
    """What the template lookup needs from the Templar."""

    def render(self, value: Any, variables: Mapping[str, Any], pos: Any = None) -> Any: ...

    def render_file(self, path: str, variables: Mapping[str, Any], *, trim_blocks: bool = True,
                    lstrip_blocks: bool = False, overrides: Mapping[str, Any] | None = None,
                    searchpath: Sequence[str] = (), native: bool = False) -> Any: ...


@dataclass(frozen=True, slots=True)
class LookupCall:
    """One lookup invocation: the caller's variables and where relative paths resolve.

    `base_dir` is the playbook's folder (ansible-core's loader basedir); the search path
    comes from the task's `ansible_search_path` variable (its role, then the folder of its
    file, then the playbook's folder) when the executor provides it. `action` is the
    task's action when the lookup runs as `with_<lookup>` (first_found picks its subfolder
    from it), else empty.
    """

    base_dir: str
    variables: Mapping[str, Any]
    renderer: FileRenderer
    invoked_as_with: bool = False
    action: str = ""

    @property
    def search_path(self) -> list[str]:
        """The folders searched for relative files, in order."""
        paths = self.variables.get("ansible_search_path") if "ansible_search_path" in \
            self.variables else None
        if isinstance(paths, list) and paths:
            return [str(path) for path in paths]
        return [self.base_dir]

    def candidates(self, subdir: str | None, needle: str) -> list[str]:
        """Every place `needle` is looked for, in ansible-core's order (its loader's
        `path_dwim_relative_stack`): each search path with `subdir` then without, a role's
        `tasks/` folder also trying the role's `subdir`, the playbook folder last."""
        found: list[str] = []
        in_role = "role_path" in self.variables
        for path in self.search_path:
            base = os.path.normpath(path)
            parent = os.path.dirname(base)
            if (in_role or _is_role(base)) and parent.endswith("/tasks"):
                found.append(os.path.join(os.path.dirname(parent), subdir or "", needle))
                found.append(os.path.join(parent, needle))
            if subdir:
                found.append(os.path.join(base, subdir, needle))
            found.append(os.path.join(base, needle))
        if subdir:
            found.append(os.path.join(self.base_dir, subdir, needle))
        found.append(os.path.join(self.base_dir, needle))
        return found

    def find(self, subdir: str | None, needle: str) -> str | None:
        """The first existing file or folder for `needle`, or None."""
        if needle.startswith(("~", "/")):
            path = os.path.expanduser(needle)
            return os.path.normpath(path) if os.path.exists(path) else None
        return next((path for path in self.candidates(subdir, needle) if os.path.exists(path)),
                    None)


def _is_role(path: str) -> bool:
    """ansible-core's loose role detection: a folder with tasks/ or meta/ main files."""
    return any(Path(path, sub, f"main{ext}").exists()
               for sub in ("tasks", "meta") for ext in (".yml", ".yaml", ""))


class Layered(Mapping[str, Any]):
    """Several mappings read as one, the first that has a key winning; nothing is copied
    (the caller's variables template lazily, so a copy would render every one)."""

    def __init__(self, *layers: Mapping[str, Any]) -> None:
        self._layers = layers

    def __getitem__(self, key: str) -> Any:
        for layer in self._layers:
            if key in layer:
                return layer[key]
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(key for layer in self._layers for key in layer))

    def __len__(self) -> int:
        return sum(1 for _ in self)


Lookup = Callable[[list[Any], LookupCall, dict[str, Any]], list[Any]]


@dataclass(frozen=True, slots=True)
class LookupSpec:
    """A lookup: its function, the options it honours (name → default), the options
    ansible-core defines that miniplay refuses (name → why), and whether its results are
    the caller's own terms rearranged (`passes_terms`: kept as they are) rather than
    outside data (marked unsafe: a file or a command's output is never a template)."""

    run: Lookup
    options: Mapping[str, Any] = field(default_factory=dict)
    refused: Mapping[str, str] = field(default_factory=dict)
    passes_terms: bool = False


TRUE_WORDS = frozenset({"yes", "on", "1", "true", "y", "t"})
FALSE_WORDS = frozenset({"no", "off", "0", "false", "n", "f", ""})


def as_bool(name: str, value: Any) -> bool:
    """An option value read as a boolean the way Ansible's option types do."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS or value is None:
        return False
    raise LookupFailure(f"Invalid value {value!r} for option {name!r}: not a boolean.")


def as_int(name: str, value: Any, plugin: str) -> int:
    """An option value read as ansible-core's `integer` type does: an int, or text or a
    float holding a whole decimal number (`'0600'` is 600; `'0x0a'` is refused)."""
    if isinstance(value, int):
        return int(value)
    if isinstance(value, (float, str)):
        try:
            number = decimal.Decimal(value)
            if number == int(number):
                return int(number)
        except (decimal.DecimalException, ValueError):
            pass
    raise LookupFailure(f"Config {name!r} for {plugin!r} lookup plugin from 'Direct' has an "
                        f"invalid value: Invalid value provided for 'integer': {value!r}")


def as_str_term(term: Any, what: str = "term") -> str:
    """A term that must be text."""
    if not isinstance(term, str):
        raise LookupFailure(f"Invalid {what} {term!r}: expected a string, "
                            f"got {type(term).__name__}.")
    return term
