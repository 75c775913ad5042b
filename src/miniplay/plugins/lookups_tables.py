"""Lookups that read one value from a table file on the controller: ini, csvfile.

Takes: keys as terms (each may carry the older inline `key file=x section=y` options),
the `LookupCall` (files are looked for in `files/` along the search path) and options.
Gives: the values found, the `default` option when a key is missing. Raises:
`LookupFailure` with ansible-core 2.19's wording (unknown inline option, duplicate key,
missing section, no key).
"""

from __future__ import annotations

import configparser
import csv
import re
from io import StringIO
from typing import Any

from miniplay import kv
from miniplay.errors import MiniplayError
from miniplay.plugins.lookups_base import LookupCall, LookupFailure, LookupSpec, as_bool, as_int
from miniplay.plugins.lookups_files import read_text

INI_DEFAULTS: dict[str, Any] = {
    "type": "ini", "file": "ansible.ini", "section": "global", "re": False,
    "encoding": "utf-8", "default": "", "case_sensitive": False, "allow_no_value": False,
    "allow_none": False, "interpolation": True}


def _inline_ini(term: str, options: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """`key opt=v opt2=v2`: ansible-core's word grouping, where a word without `=` after
    an option continues that option's value."""
    params: dict[str, str] = {}
    order: list[str] = []
    current = "key"
    for index, word in enumerate(term.split()):
        if "=" in word:
            current = next((name for name in options if f"{name}=" in word), current)
        if index == 0 or not params.get(current):
            params[current] = word
            order.append(current)
        else:
            params[current] += " " + word
    key: str | None = None
    updated = dict(options)
    for value in (params[name] for name in order):
        if "=" in value:
            name, _, setting = value.partition("=")
            if name not in options:
                raise LookupFailure(f"{name!r} is not a valid option.")
            updated[name] = setting
        elif key is None:
            key = value
    if key is None:
        raise LookupFailure("No key to look up was provided as first term within string "
                            f"inline options: {term}")
    return key, updated


def _ini_value(parser: configparser.ConfigParser, key: str, opts: dict[str, Any]) -> list[Any]:
    section = str(opts["section"])
    try:
        if as_bool("re", opts["re"]):
            return [value for name, value in parser.items(section) if re.match(key, name)]
        try:
            return [parser.get(section, key)]
        except configparser.NoOptionError:
            default = opts["default"]
            return list(default) if isinstance(default, list) else [default]
    except configparser.NoSectionError:
        raise LookupFailure(f"No section {section!r} in {opts['file']!r}.") from None


def _ini(terms: list[Any], call: LookupCall, options: dict[str, Any]) -> list[Any]:
    results: list[Any] = []
    for term in map(str, terms):
        key, opts = (_inline_ini(term, options) if "=" in term or " " in term.strip()
                     else (term, options))
        allow = as_bool("allow_no_value", opts["allow_no_value"]) or as_bool(
            "allow_none", opts["allow_none"])
        interpolation = configparser.BasicInterpolation() if as_bool(
            "interpolation", opts["interpolation"]) else None
        parser = configparser.ConfigParser(allow_no_value=allow, interpolation=interpolation)
        if as_bool("case_sensitive", opts["case_sensitive"]):
            parser.optionxform = str  # type: ignore[assignment,method-assign]
        found = call.find("files", str(opts["file"]))
        if found is None:
            raise LookupFailure(f"Unable to find file {opts['file']!r} in the search path.")
        text = read_text(found, str(opts["encoding"]))
        if opts["type"] == "properties":
            text = "[java_properties]\n" + text
            opts = {**opts, "section": "java_properties"}
        try:
            parser.read_file(StringIO(text))
        except configparser.DuplicateOptionError:
            raise LookupFailure(f"Duplicate option in {opts['file']!r}.") from None
        except configparser.Error as exc:
            raise LookupFailure(f"Could not parse {opts['file']!r}: {exc}") from None
        results.extend(value for value in _ini_value(parser, key, opts) if value is not None)
    return results


CSV_DEFAULTS: dict[str, Any] = {"col": 1, "keycol": 0, "default": None, "delimiter": "TAB",
                                "file": "ansible.csv", "encoding": "utf-8"}


def _csv_term(term: str, options: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    try:
        parts = kv.parse(term)
    except MiniplayError as exc:
        raise LookupFailure(exc.message) from None
    free = [part.text for part in parts if part.key is None]
    if not free:
        raise LookupFailure("Search key is required but was not found")
    opts = dict(options)
    for part in parts:
        if part.key is not None:
            if part.name not in options:
                raise LookupFailure(f"{part.name!r} is not a valid option")
            opts[part.name] = part.value
    return " ".join(free), opts


def _csvfile(terms: list[Any], call: LookupCall, options: dict[str, Any]) -> list[Any]:
    if not terms:
        raise LookupFailure("Search key is required but was not found")
    results: list[Any] = []
    for term in map(str, terms):
        key, opts = _csv_term(term, options)
        delimiter = "\t" if opts["delimiter"] == "TAB" else str(opts["delimiter"])
        found = call.find("files", str(opts["file"]))
        if found is None:
            raise LookupFailure(f"[Errno 2] No such file or directory: {opts['file']!r}")
        col = as_int("col", opts["col"], "csvfile")
        keycol = as_int("keycol", opts["keycol"], "csvfile")
        value = opts["default"]
        rows = csv.reader(StringIO(read_text(found, str(opts["encoding"])), newline=""),
                          dialect=csv.excel, delimiter=delimiter)
        for row in rows:
            if row and row[keycol] == key:
                value = row[col]
                break
        if isinstance(value, list):  # a list default adds its entries, as ansible-core
            results.extend(value)
        elif value is not None:
            results.append(value)
    return results


TABLE_LOOKUPS: dict[str, LookupSpec] = {
    "ini": LookupSpec(_ini, INI_DEFAULTS),
    "csvfile": LookupSpec(_csvfile, CSV_DEFAULTS),
}
