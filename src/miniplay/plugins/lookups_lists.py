"""Lookups that reshape their terms: items, list, dict, indexed_items, nested, together,
subelements, sequence, random_choice.

Takes: the terms (already templated) and options. Gives: the list of loop items each
produces in ansible-core 2.19 (pairs and tuples as lists, as they reach a playbook).
Raises: `LookupFailure` with ansible-core's wording.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from miniplay import kv
from miniplay.errors import MiniplayError
from miniplay.plugins.lookups_base import (
    LookupCall,
    LookupFailure,
    LookupSpec,
    as_bool,
    as_int,
)


def flatten_once(terms: Sequence[Any]) -> list[Any]:
    """ansible-core's `LookupBase._flatten`: lists and tuples among `terms` spliced in."""
    flat: list[Any] = []
    for term in terms:
        if isinstance(term, (list, tuple)):
            flat.extend(term)
        else:
            flat.append(term)
    return flat


def _items(terms: list[Any], call: LookupCall, options: dict[str, Any]) -> list[Any]:
    return flatten_once(terms)


def _list(terms: list[Any], call: LookupCall, options: dict[str, Any]) -> list[Any]:
    return list(terms)


def _dict(terms: list[Any], call: LookupCall, options: dict[str, Any]) -> list[Any]:
    results: list[Any] = []
    for term in terms:
        if not isinstance(term, Mapping):
            raise LookupFailure(f"the 'dict' lookup plugin expects a dictionary, got '{term}' "
                                f"of type {type(term)})")
        results.extend({"key": key, "value": value} for key, value in term.items())
    return results


def _indexed_items(terms: list[Any], call: LookupCall, options: dict[str, Any]) -> list[Any]:
    return [[index, item] for index, item in enumerate(flatten_once(terms))]


def _nested(terms: list[Any], call: LookupCall, options: dict[str, Any]) -> list[Any]:
    if not terms:
        raise LookupFailure("with_nested requires at least one element in the nested list")
    result: list[Any] = list(terms[0])
    for following in terms[1:]:
        result = [flatten_once([left, right]) for left in result for right in following]
    # as ansible-core, each entry is flattened once (text splits into its characters)
    for entry in result:
        if not isinstance(entry, (list, tuple, str)):
            raise LookupFailure(f"'{type(entry).__name__}' object is not iterable")
    return [flatten_once(list(entry)) for entry in result]


def _together(terms: list[Any], call: LookupCall, options: dict[str, Any]) -> list[Any]:
    if not terms:
        raise LookupFailure("with_together requires at least one element in each list")
    longest = max(len(term) for term in terms)
    return [flatten_once([term[index] if index < len(term) else None for term in terms])
            for index in range(longest)]


_SUB_FLAGS = ("skip_missing",)


def _subelements_source(terms: list[Any]) -> tuple[list[Any], list[str], bool] | None:
    """The records, the dotted subkey and `skip_missing`; None for a skipped result."""
    prefix = "subelements lookup expects a list of two or three items, "
    if not 2 <= len(terms) <= 3:
        raise LookupFailure(prefix.rstrip())
    records, subkey = terms[0], terms[1]
    if not isinstance(records, (list, dict)) or not isinstance(subkey, str):
        raise LookupFailure(prefix + "first a dict or a list, second a string pointing to "
                                     "the subkey")
    if isinstance(records, dict):
        if records.get("skipped", False) is not False:
            return None
        records = list(records.values())
    flags = terms[2] if len(terms) == 3 else {}
    if not isinstance(flags, dict) or not all(key in _SUB_FLAGS for key in flags):
        raise LookupFailure(prefix + f"the optional third item must be a dict with flags "
                                     f"{_SUB_FLAGS}")
    return list(records), subkey.split("."), as_bool("skip_missing",
                                                    flags.get("skip_missing", False))


def _sublist(record: dict[str, Any], path: list[str], skip_missing: bool) -> list[Any]:
    """The list at `path` in `record`, popped out of it (ansible-core yields the record
    without it). With `skip_missing`, a missing or non-mapping step is passed over (the
    next key is read from the same level, as ansible-core does) and a missing list is
    empty."""
    holder = record
    for depth, key in enumerate(path):
        if key not in holder:
            if skip_missing:
                continue
            raise LookupFailure(f"could not find '{key}' key in iterated item '{holder}'")
        if depth < len(path) - 1:
            if not isinstance(holder[key], dict):
                if skip_missing:
                    continue
                raise LookupFailure(f"the key {key} should point to a dictionary, got "
                                    f"'{holder[key]}'")
            holder[key] = dict(holder[key])
            holder = holder[key]
        elif not isinstance(holder[key], list):
            raise LookupFailure(f"the key {key} should point to a list, got '{holder[key]}'")
        else:
            return list(holder.pop(key))
    return []


def _subelements(terms: list[Any], call: LookupCall, options: dict[str, Any]) -> list[Any]:
    source = _subelements_source(terms)
    if source is None:
        return []
    records, path, skip_missing = source
    results: list[Any] = []
    for record in records:
        if not isinstance(record, dict):
            raise LookupFailure(f"subelements lookup expects a dictionary, got '{record}'")
        if record.get("skipped", False) is not False:
            continue
        record = dict(record)  # the copy the list is popped from
        sublist = _sublist(record, path, skip_missing)
        results.extend([record, element] for element in sublist)
    return results


_NUM = "(0?x?[0-9a-f]+)"
_SHORTCUT = re.compile(f"^({_NUM}-)?{_NUM}(/{_NUM})?(:(.+))?$", re.IGNORECASE)
_FIELDS = ("start", "end", "stride", "count", "format")


def _sequence_fields(term: str, options: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = dict(options)
    match = _SHORTCUT.match(term)
    if match:
        _, start, end, _, stride, _, fmt = match.groups()
        found = {"start": start, "end": end, "stride": stride, "format": fmt}
        fields.update({key: value for key, value in found.items() if value is not None})
        return fields
    try:
        parts = kv.parse(term)
    except MiniplayError as exc:
        raise LookupFailure(f"unknown error parsing with_sequence arguments: {term!r}. "
                            f"Error was: {exc.message}") from None
    pairs = {part.name: part.value for part in parts if part.key is not None}
    if any(part.key is None for part in parts):
        pairs["_raw_params"] = " ".join(part.text for part in parts if part.key is None)
    unknown = [key for key in pairs if key not in _FIELDS]
    if unknown:
        raise LookupFailure(f"unrecognized arguments to with_sequence: {unknown}")
    fields.update({key: value for key, value in pairs.items() if value is not None})
    return fields


def _sequence_one(term: str, options: dict[str, Any]) -> list[str]:
    fields = _sequence_fields(term, options)
    start = as_int("start", fields["start"], "sequence")
    stride = as_int("stride", fields["stride"], "sequence")
    count = None if fields.get("count") is None else as_int("count", fields["count"], "sequence")
    end = None if fields.get("end") is None else as_int("end", fields["end"], "sequence")
    fmt = str(fields["format"])
    if count is None and end is None:
        raise LookupFailure("must specify count or end in with_sequence")
    if count is not None and end is not None:
        raise LookupFailure("can't specify both count and end in with_sequence")
    if count is not None:
        if count == 0:
            return []
        end = start + count * stride - 1
    assert end is not None
    if stride > 0 and end < start:
        raise LookupFailure("to count backwards make stride negative")
    if stride < 0 and end > start:
        raise LookupFailure("to count forward don't make stride negative")
    if stride == 0:
        return []
    if fmt.count("%") != 1:
        raise LookupFailure(f"bad formatting string: {fmt}")
    results = []
    for number in range(start, end + (1 if stride >= 0 else -1), stride):
        try:
            results.append(fmt % number)
        except (ValueError, TypeError):
            raise LookupFailure(f"problem formatting {number!r} with {fmt!r}") from None
    return results


def _sequence(terms: list[Any], call: LookupCall, options: dict[str, Any]) -> list[Any]:
    if not terms and any(options.get(key) != SEQUENCE_DEFAULTS[key] for key in options):
        terms = [""]
    results: list[Any] = []
    for term in terms:
        results.extend(_sequence_one(str(term), options))
    return results


def _random_choice(terms: list[Any], call: LookupCall, options: dict[str, Any]) -> list[Any]:
    return [secrets.choice(terms)] if terms else list(terms)


SEQUENCE_DEFAULTS: dict[str, Any] = {"start": 1, "end": None, "count": None, "stride": 1,
                                     "format": "%d"}

LIST_LOOKUPS: dict[str, LookupSpec] = {
    "items": LookupSpec(_items, passes_terms=True),
    "list": LookupSpec(_list, passes_terms=True),
    "dict": LookupSpec(_dict, passes_terms=True),
    "indexed_items": LookupSpec(_indexed_items, passes_terms=True),
    "nested": LookupSpec(_nested, passes_terms=True),
    "together": LookupSpec(_together, passes_terms=True),
    "subelements": LookupSpec(_subelements, passes_terms=True, refused={
        "skip_missing": "ansible-core reads it only from the third term: "
                        "[records, 'key', {'skip_missing': true}]"}),
    "sequence": LookupSpec(_sequence, SEQUENCE_DEFAULTS),
    "random_choice": LookupSpec(_random_choice, passes_terms=True),
}
