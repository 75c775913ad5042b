"""Lookups that read the controller's files: file, fileglob, first_found, template, unvault.

Takes: terms naming files, the `LookupCall` (its search path: the task's role, the folder
of the task's file, the playbook's folder, each tried with the lookup's subfolder first)
and options. Gives: contents, paths or rendered templates, as ansible-core 2.19 does.
Raises: `LookupFailure` with ansible-core's wording; vault-encrypted files are refused
by name (miniplay has no vault).
"""

from __future__ import annotations

import datetime
import glob
import os
import pwd
import re
from collections.abc import Mapping, Sequence
from typing import Any

from miniplay.plugins.lookups_base import (
    Layered,
    LookupCall,
    LookupFailure,
    LookupSpec,
    NotBuilt,
    as_bool,
)

VAULT_HEADER = "$ANSIBLE_VAULT"


def read_text(path: str, encoding: str = "utf-8") -> str:
    """A controller file's text; vault-encrypted files are refused, not guessed at."""
    with open(path, "rb") as handle:
        data = handle.read()
    if data.startswith(VAULT_HEADER.encode()):
        raise NotBuilt(f"{path} is vault-encrypted; miniplay has no vault support")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise LookupFailure(f"{path} is not valid {encoding} text: {exc}") from None


def _file(terms: list[Any], call: LookupCall, options: dict[str, Any]) -> list[Any]:
    results = []
    for term in terms:
        found = call.find("files", str(term))
        if found is None or os.path.isdir(found):
            raise LookupFailure(f"Unable to access the file {term!r}: File not found. "
                                "Use -vvvvv to see paths searched.")
        text = read_text(found)
        if as_bool("lstrip", options["lstrip"]):
            text = text.lstrip()
        if as_bool("rstrip", options["rstrip"]):
            text = text.rstrip()
        results.append(text)
    return results


def _fileglob(terms: list[Any], call: LookupCall, options: dict[str, Any]) -> list[Any]:
    results: list[Any] = []
    for term in map(str, terms):
        name = os.path.basename(term)
        if name != term:
            folders = [call.find("files", os.path.dirname(term))]
        else:
            folders = [folder for path in call.search_path
                       for folder in (os.path.join(path, "files"), path)]
        for folder in folders:
            if not folder:
                continue
            matched = [path for path in glob.glob(os.path.join(folder, name))
                       if os.path.isfile(path)]
            if matched:
                results.extend(matched)
                break
    return results


def _split_on(value: Any, separators: str, what: str) -> list[str]:
    if isinstance(value, str):
        return re.split(f"[{re.escape(separators)}]", value)
    if isinstance(value, Sequence):
        return [part for entry in value for part in _split_on(entry, separators, what)]
    raise LookupFailure(f"Invalid type for {what}: {type(value).__name__}")


_FIRST_FOUND = {"files": [], "paths": [], "skip": False}


def _first_found_search(terms: Sequence[Any], state: dict[str, Any]) -> list[str]:
    """Every candidate path, in order; a mapping term replaces the options (as the
    plugin's `set_options` does), so its `skip` is the one that counts afterwards."""
    search: list[str] = []
    for term in terms:
        if isinstance(term, Mapping):
            unknown = [key for key in term if key not in _FIRST_FOUND]
            if unknown:
                raise LookupFailure(f"Invalid option(s) {unknown} for first_found; it takes "
                                    "files, paths and skip")
            state.clear()
            state.update({**_FIRST_FOUND, **term})
            files = _split_on(state["files"], ",;", "the 'files' option")
        elif isinstance(term, str):
            files = [term]
        elif isinstance(term, Sequence):
            search.extend(_first_found_search(term, state))
            continue
        else:
            raise LookupFailure("Invalid term supplied. A string, dict or list is required, "
                                f"not {type(term).__name__!r}).")
        paths = _split_on(state["paths"], ",:;", "the 'paths' option")
        if paths:
            search.extend(os.path.join(path, name) for path in paths for name in files)
        else:
            search.extend(files)
    return search


def _with_subdir(action: str) -> str:
    """`with_first_found` searches templates/, vars/ or files/ after the task's action."""
    for word in ("template", "var", "file"):
        if word in action:
            return word + "s"
    return "files"


def _first_found(terms: list[Any], call: LookupCall, options: dict[str, Any]) -> list[Any]:
    state = dict(options)
    subdir = _with_subdir(call.action) if call.invoked_as_with else None
    if not terms:
        terms = list(_split_on(state["files"], ",;", "the 'files' option"))
    for name in _first_found_search(terms, state):
        found = call.find(subdir, name)
        if found is not None:
            return [os.path.normpath(os.path.abspath(found))]
    if as_bool("skip", state["skip"]):
        return []
    raise LookupFailure("No file was found when using first_found.")


def _template_vars(term: str, path: str) -> dict[str, Any]:
    """The variables ansible-core adds for a template file (`template_path`, ...)."""
    stat = os.stat(path)
    try:
        owner = pwd.getpwuid(stat.st_uid).pw_name
    except KeyError:
        owner = str(stat.st_uid)
    return {"template_host": os.uname().nodename, "template_path": term,
            "template_mtime": datetime.datetime.fromtimestamp(stat.st_mtime),
            "template_uid": owner, "template_run_date": datetime.datetime.now(),
            "template_destpath": None, "template_fullpath": os.path.abspath(path)}


_TEMPLATE_DEFAULTS = {"variable_start_string": "{{", "variable_end_string": "}}",
                      "comment_start_string": "{#", "comment_end_string": "#}"}
ANSIBLE_MANAGED = "Ansible managed"  # ansible-core's DEFAULT_MANAGED_STR


def _template(terms: list[Any], call: LookupCall, options: dict[str, Any]) -> list[Any]:
    extra = options["template_vars"] or {}
    if not isinstance(extra, Mapping):
        raise LookupFailure("template_vars must be a dictionary")
    overrides = {name: options[name] for name in _TEMPLATE_DEFAULTS}
    results = []
    for term in map(str, terms):
        found = call.find("templates", term)
        if found is None or os.path.isdir(found):
            raise LookupFailure(f"the template file {term} could not be found for the lookup")
        # `{% include %}` looks beside the file, then in each search path's templates/
        searchpath = [os.path.dirname(found), *(folder for path in call.search_path
                                                for folder in (os.path.join(path, "templates"),
                                                               path))]
        managed = {} if "ansible_managed" in call.variables else {
            "ansible_managed": ANSIBLE_MANAGED}
        variables = Layered(dict(extra), _template_vars(term, found), managed, call.variables)
        results.append(call.renderer.render_file(
            found, variables, trim_blocks=as_bool("trim_blocks", options["trim_blocks"]),
            overrides=overrides, searchpath=searchpath, native=True))
    return results


def _unvault(terms: list[Any], call: LookupCall, options: dict[str, Any]) -> list[Any]:
    results = []
    for term in map(str, terms):
        found = call.find("files", term)
        if found is None or os.path.isdir(found):
            raise LookupFailure(f'Unable to find file matching "{term}" ')
        results.append(read_text(found))
    return results


FILE_LOOKUPS: dict[str, LookupSpec] = {
    "file": LookupSpec(_file, {"rstrip": True, "lstrip": False}),
    "fileglob": LookupSpec(_fileglob),
    "first_found": LookupSpec(_first_found, _FIRST_FOUND),
    "template": LookupSpec(_template, {
        **_TEMPLATE_DEFAULTS, "template_vars": {}, "trim_blocks": True,
        # deprecated in 2.19 and without effect there: native types are always on
        "convert_data": True, "jinja2_native": True}),
    "unvault": LookupSpec(_unvault),
}
