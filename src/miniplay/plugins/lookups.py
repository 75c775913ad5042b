"""Lookups (`lookup('env', 'HOME')`, `query('items', xs)`) and the Jinja globals.

Takes: the lookup name, its terms and keyword options, plus the calling template's
variables and the run's base directory. Gives: `lookup` → one value (a single result
unwrapped, several strings joined with ","), `query`/`q` → a list, as in ansible-core.
Every result is marked unsafe: a file, a command's output or an environment variable is
data, never a template. Raises: `TemplateError` ("The lookup plugin 'file' failed: ...")
unless `errors='ignore'` or `'warn'`, which give None (`[]` for query).

Lookups run on the controller, synchronously, while a template renders.
"""

from __future__ import annotations

import datetime
import glob
import os
import subprocess
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import jinja2
from jinja2.runtime import Context

from miniplay.errors import TemplateError
from miniplay.plugins.filters_data import flatten
from miniplay.unsafe import mark_unsafe


class FileRenderer(Protocol):
    """What the template lookup needs from the Templar."""

    def render_file(self, path: str, variables: Mapping[str, Any], *, trim_blocks: bool = True,
                    lstrip_blocks: bool = False) -> str: ...


@dataclass(frozen=True, slots=True)
class LookupCall:
    """One lookup invocation: where relative paths start, and the caller's variables."""

    base_dir: str
    variables: Mapping[str, Any]
    renderer: FileRenderer


Lookup = Callable[[list[Any], LookupCall, dict[str, Any]], list[Any]]


class _ContextVariables(Mapping[str, Any]):
    """The calling template's variables, read through its Jinja context (no copy)."""

    def __init__(self, context: Context) -> None:
        self._context = context

    def __getitem__(self, key: str) -> Any:
        value = self._context.resolve_or_missing(key)
        if value is jinja2.utils.missing:
            raise KeyError(key)
        return value

    def __iter__(self) -> Iterator[str]:
        return iter({**dict.fromkeys(self._context.parent), **dict.fromkeys(self._context.vars)})

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _find(call: LookupCall, name: str, subdir: str) -> Path | None:
    path = Path(os.path.expanduser(name))
    candidates = [path] if path.is_absolute() else [
        Path(call.base_dir, subdir, path), Path(call.base_dir, path)]
    return next((candidate for candidate in candidates if candidate.exists()), None)


def _env(terms: list[Any], call: LookupCall, options: dict[str, Any]) -> list[Any]:
    fallback = options.get("default", "")
    return [os.environ.get(str(term), fallback) for term in terms]


def _file(terms: list[Any], call: LookupCall, options: dict[str, Any]) -> list[Any]:
    results = []
    for term in terms:
        found = _find(call, str(term), "files")
        if found is None or not found.is_file():
            raise TemplateError(f"could not locate file in lookup: {term}")
        text = found.read_text(encoding="utf-8")
        if options.get("rstrip", True):
            text = text.rstrip()
        if options.get("lstrip", False):
            text = text.lstrip()
        results.append(text)
    return results


def _pipe(terms: list[Any], call: LookupCall, options: dict[str, Any]) -> list[Any]:
    results = []
    for term in terms:
        done = subprocess.run(str(term), shell=True, cwd=call.base_dir, capture_output=True,
                              check=False)
        if done.returncode != 0:
            raise TemplateError(f"lookup_plugin.pipe({term}) returned {done.returncode}")
        results.append(done.stdout.decode("utf-8", errors="replace").rstrip())
    return results


def _items(terms: list[Any], call: LookupCall, options: dict[str, Any]) -> list[Any]:
    return flatten(terms, levels=1, skip_nulls=False)


def _list(terms: list[Any], call: LookupCall, options: dict[str, Any]) -> list[Any]:
    return list(terms)


def _dict(terms: list[Any], call: LookupCall, options: dict[str, Any]) -> list[Any]:
    results: list[Any] = []
    for term in terms:
        if not isinstance(term, Mapping):
            raise TemplateError(f"with_dict expects a dict, got {type(term).__name__!r}")
        results.extend({"key": key, "value": value} for key, value in term.items())
    return results


def _first_found_names(terms: list[Any]) -> tuple[list[str], list[str], bool]:
    files: list[str] = []
    paths: list[str] = []
    skip = False
    for term in flatten(terms):
        if isinstance(term, Mapping):
            files.extend(flatten([term.get("files", [])]))
            paths.extend(flatten([term.get("paths", [])]))
            skip = skip or bool(term.get("skip", False))
        else:
            files.append(str(term))
    return files, paths, skip


def _first_found(terms: list[Any], call: LookupCall, options: dict[str, Any]) -> list[Any]:
    files, paths, skip = _first_found_names(terms)
    skip = skip or bool(options.get("skip", False))
    for name in files:
        for directory in paths or [""]:
            found = _find(call, os.path.join(directory, name), "files")
            if found is not None:
                return [str(found.resolve())]
    if skip:
        return []
    raise TemplateError("No file was found when using first_found.")


def _template(terms: list[Any], call: LookupCall, options: dict[str, Any]) -> list[Any]:
    results = []
    for term in terms:
        found = _find(call, str(term), "templates")
        if found is None:
            raise TemplateError(f"the template file {term} could not be found for the lookup")
        results.append(call.renderer.render_file(str(found), call.variables))
    return results


def _vars(terms: list[Any], call: LookupCall, options: dict[str, Any]) -> list[Any]:
    results = []
    for term in terms:
        if term in call.variables:
            results.append(call.variables[term])
        elif "default" in options:
            results.append(options["default"])
        else:
            raise TemplateError(f"No variable found with this name: {term}")
    return results


def _fileglob(terms: list[Any], call: LookupCall, options: dict[str, Any]) -> list[Any]:
    results: list[str] = []
    for term in terms:
        pattern = str(term)
        if not os.path.isabs(pattern):
            pattern = os.path.join(call.base_dir, "files", pattern)
        results.extend(path for path in sorted(glob.glob(pattern)) if os.path.isfile(path))
    return results


LOOKUPS: Mapping[str, Lookup] = {
    "env": _env, "file": _file, "pipe": _pipe, "items": _items, "list": _list,
    "dict": _dict, "first_found": _first_found, "template": _template, "vars": _vars,
    "fileglob": _fileglob,
}


def _simplify(results: list[Any]) -> Any:
    if not results:
        return results
    if len(results) == 1:
        return results[0]
    if all(isinstance(item, str) for item in results):
        return ",".join(results)
    return results


@dataclass(frozen=True, slots=True)
class _Lookups:
    base_dir: str
    renderer: FileRenderer

    def run(self, context: Context, name: str, terms: tuple[Any, ...],
            options: dict[str, Any]) -> list[Any] | None:
        errors = options.pop("errors", "strict")
        plugin = LOOKUPS.get(name.removeprefix("ansible.builtin."))
        if plugin is None:
            raise TemplateError(f"lookup plugin ({name}) not found")
        call = LookupCall(self.base_dir, _ContextVariables(context), self.renderer)
        try:
            return mark_unsafe(plugin(list(terms), call, options))  # type: ignore[no-any-return]
        except (TemplateError, OSError, TypeError, ValueError) as exc:
            if errors in ("ignore", "warn"):
                return None
            detail = exc.message if isinstance(exc, TemplateError) else str(exc)
            raise TemplateError(f"The lookup plugin {name!r} failed: {detail}") from None

    @jinja2.pass_context
    def lookup(self, context: Context, name: str, *terms: Any, **options: Any) -> Any:
        wantlist = bool(options.pop("wantlist", False))
        results = self.run(context, name, terms, options)
        if results is None:
            return [] if wantlist else None
        return results if wantlist else _simplify(results)

    @jinja2.pass_context
    def query(self, context: Context, name: str, *terms: Any, **options: Any) -> list[Any]:
        options.pop("wantlist", None)
        return self.run(context, name, terms, options) or []


def now(utc: bool = False, fmt: str | None = None) -> Any:
    """The current time, as a datetime or formatted with `fmt`."""
    moment = datetime.datetime.now(datetime.UTC) if utc else datetime.datetime.now()
    return moment.strftime(fmt) if fmt else moment


@jinja2.pass_environment
def undef(environment: jinja2.Environment, hint: str | None = None) -> Any:
    """An undefined value carrying `hint` as its error message."""
    return environment.undefined(hint=hint)


def lookup_globals(renderer: FileRenderer, base_dir: str | None) -> dict[str, Any]:
    """The Jinja globals for one Templar: lookup, query, q, now, undef."""
    lookups = _Lookups(base_dir or os.getcwd(), renderer)
    return {"lookup": lookups.lookup, "query": lookups.query, "q": lookups.query,
            "now": now, "undef": undef}
