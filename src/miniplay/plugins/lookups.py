"""Lookups (`lookup('env', 'HOME')`, `query('items', xs)`, `with_<lookup>`) and the Jinja
globals.

Takes: the lookup name, its terms and keyword options, plus the caller's variables and
the run's base directory. Gives: `lookup` → one value (a single result unwrapped, several
strings joined with ","), `query`/`q` → a list, as in ansible-core 2.19; `run_lookup` →
the list a `with_<lookup>` loop iterates. Data from outside the playbook (files, command
output, the environment) is marked unsafe: it is data, never a template. Raises:
`TemplateError` ("The lookup plugin 'file' failed: ...") unless `errors='ignore'` or
`'warn'`, which give None (`[]` for query); an unknown lookup and an option miniplay
does not build are refused whatever `errors` says.

Lookups run on the controller, synchronously, while a template renders.
"""

from __future__ import annotations

import datetime
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import jinja2
from jinja2.runtime import Context

from miniplay.errors import TemplateError
from miniplay.plugins.lookups_base import (
    FileRenderer,
    LookupCall,
    LookupFailure,
    LookupSpec,
    NotBuilt,
)
from miniplay.plugins.lookups_config import CONFIG_LOOKUPS
from miniplay.plugins.lookups_exec import EXEC_LOOKUPS
from miniplay.plugins.lookups_files import FILE_LOOKUPS
from miniplay.plugins.lookups_lists import LIST_LOOKUPS
from miniplay.plugins.lookups_tables import TABLE_LOOKUPS
from miniplay.plugins.lookups_vars import VAR_LOOKUPS, Missing
from miniplay.unsafe import mark_unsafe

__all__ = ["LOOKUPS", "NOT_BUILT", "LookupCall", "lookup_globals", "lookup_refusal", "plain_name",
           "run_lookup"]

LOOKUPS: Mapping[str, LookupSpec] = {
    **LIST_LOOKUPS, **FILE_LOOKUPS, **TABLE_LOOKUPS, **EXEC_LOOKUPS, **VAR_LOOKUPS,
    **CONFIG_LOOKUPS}

# ansible.builtin lookups miniplay refuses by name rather than run differently.
NOT_BUILT: Mapping[str, str] = {
    "url": "the url lookup is not built in miniplay; fetch the data with a task "
           "(ansible.builtin.uri with register) instead",
}

_PREFIXES = ("ansible.builtin.", "ansible.legacy.")
# What a plugin (or collection plugin) name can look like; no plugin has another name.
_PLUGIN_NAME = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")


def plain_name(name: str) -> str:
    """`ansible.builtin.file` → `file`; other names unchanged."""
    for prefix in _PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def _close(word: str, choices: Any) -> str:
    import difflib

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.7)
    return f" (did you mean {close[0]!r}?)" if close else ""


def lookup_refusal(name: str) -> str | None:
    """Why a template's `lookup`/`query` of `name` cannot run in miniplay, or None when it
    can. Static checks call this so a playbook using one is refused before it runs."""
    short = plain_name(name)
    if short in NOT_BUILT:
        return f"the lookup '{name}' is not supported: {NOT_BUILT[short]}"
    if not _PLUGIN_NAME.fullmatch(name):
        # e.g. lookup('{{ "pipe" }}'): no plugin anywhere has this name, so nothing is
        # left unbuilt; Ansible fails only when it runs ("was not found"), as `spec_of`
        return None
    if short not in LOOKUPS:
        return (f"the lookup '{name}' is not available in miniplay{_close(short, LOOKUPS)} "
                "(it has the ansible.builtin lookups; collections and lookup_plugins/ are "
                "not supported)")
    return None


def spec_of(name: str) -> LookupSpec:
    """The lookup called `name`; refuses unknown and not-built lookups by name."""
    if not isinstance(name, str):
        raise TemplateError(f"A lookup name must be a string, not {type(name).__name__!r}.")
    short = plain_name(name)
    if short in NOT_BUILT:
        raise TemplateError(f"The lookup plugin {name!r} is not built in miniplay: "
                            f"{NOT_BUILT[short]}")
    spec = LOOKUPS.get(short)
    if spec is None:
        raise TemplateError(f"The lookup plugin {name!r} was not found."
                            + _close(short, [*LOOKUPS, *NOT_BUILT]))
    return spec


def _options(name: str, spec: LookupSpec, given: Mapping[str, Any]) -> dict[str, Any]:
    """The lookup's options: defaults, then what the call gives. An option ansible-core
    defines but miniplay does not build is refused by name; a name the lookup does not
    define at all is dropped, as ansible-core drops it (it means nothing there either;
    its lookup-option-name target passes `name=` to the vars lookup)."""
    for option in given:
        if option in spec.refused:
            raise TemplateError(f"The {name} lookup option {option!r} is not built in "
                                f"miniplay: {spec.refused[option]}")
    return {**spec.options, **{key: value for key, value in given.items()
                               if key in spec.options}}


def run_lookup(name: str, terms: list[Any], options: Mapping[str, Any],
               call: LookupCall) -> list[Any]:
    """The lookup's result list; a failure becomes ansible-core's wording."""
    spec = spec_of(name)
    merged = _options(name, spec, options)
    try:
        results = spec.run(list(terms), call, merged)
    except NotBuilt as exc:
        raise TemplateError(f"The lookup plugin {name!r} cannot run here: {exc}") from None
    except TemplateError as exc:
        raise TemplateError(f"The lookup plugin {name!r} failed: {exc.message}",
                            hint=exc.hint) from None
    except (LookupFailure, OSError, TypeError, ValueError, KeyError, IndexError) as exc:
        raise TemplateError(f"The lookup plugin {name!r} failed: {exc}") from None
    return results if spec.passes_terms else list(mark_unsafe(results))


class _ContextVariables(Mapping[str, Any]):
    """The calling template's variables, read through its Jinja context (no copy)."""

    def __init__(self, context: Context) -> None:
        self._context = context

    def __getitem__(self, key: str) -> Any:
        value = self._context.resolve_or_missing(key)
        glob = self._context.environment.globals
        if value is jinja2.utils.missing or (key in glob and value is glob[key]):
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        try:
            self[key]
        except KeyError:
            return False
        return True

    def __iter__(self) -> Iterator[str]:
        """Variable names only: Jinja's globals (lookup, range, ...) are not variables."""
        glob = self._context.environment.globals
        names = dict.fromkeys(key for key, value in self._context.parent.items()
                              if key not in glob or value is not glob[key])
        return iter({**names, **dict.fromkeys(self._context.vars)})

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _simplify(results: list[Any]) -> Any:
    """ansible-core's `lookup` result: one item unwrapped, all-text items joined."""
    if not results:
        return results
    if len(results) == 1:
        return results[0]
    if all(isinstance(item, str) for item in results):
        return ",".join(results)
    return results


# Lookups given undefined arguments themselves (ansible-core's `accept_args_markers`).
_TAKE_UNDEFINED = frozenset({"env", "first_found"})


def _undefined_argument(name: str, terms: tuple[Any, ...],
                        options: Mapping[str, Any]) -> jinja2.Undefined | None:
    """An undefined term or option: the call's result is that undefined value, as in
    ansible-core 2.19, except for first_found, which fails on it at once."""
    found = next((value for value in (*terms, *options.values())
                  if isinstance(value, jinja2.Undefined)), None)
    if found is None or plain_name(str(name)) == "env":
        return None
    if plain_name(str(name)) in _TAKE_UNDEFINED:
        found._fail_with_undefined_error()
    return found


@dataclass(frozen=True, slots=True)
class _Lookups:
    base_dir: str
    renderer: FileRenderer

    def run(self, context: Context, name: str, terms: tuple[Any, ...],
            options: dict[str, Any]) -> list[Any] | None:
        errors = options.pop("errors", "strict")
        base = context.get("playbook_dir")
        call = LookupCall(str(base) if isinstance(base, str) else self.base_dir,
                          _ContextVariables(context), self.renderer)
        spec_of(name)  # an unknown lookup fails whatever `errors` says
        try:
            results = run_lookup(name, list(terms), options, call)
        except TemplateError as exc:
            if errors in ("ignore", "warn") and exc.message.startswith(
                    f"The lookup plugin {name!r} failed"):
                return None
            raise
        return [context.environment.undefined(hint=item.message) if isinstance(item, Missing)
                else item for item in results]

    @jinja2.pass_context
    def lookup(self, context: Context, name: str, /, *terms: Any, **options: Any) -> Any:
        if (undefined := _undefined_argument(name, terms, options)) is not None:
            return undefined
        wantlist = bool(options.pop("wantlist", False))
        results = self.run(context, name, terms, options)
        if results is None:
            return [] if wantlist else None
        return results if wantlist else _simplify(results)

    @jinja2.pass_context
    def query(self, context: Context, name: str, /, *terms: Any,
              **options: Any) -> Any:
        if (undefined := _undefined_argument(name, terms, options)) is not None:
            return undefined
        options.pop("wantlist", None)
        results = self.run(context, name, terms, options)
        return [] if results is None else results


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
