"""Ansible's filters on collections: merge, reshape, set algebra, sampling.

Takes: lists and dicts as Jinja passes them. Gives: new lists/dicts (inputs are never
changed). Raises: `TemplateError` for input of the wrong shape; `Templar` adds the filter
name and the position.

Set operations keep the order of first appearance (ansible-core returns Python set order
for hashable items, which varies from run to run); the elements are the same.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import jinja2

from miniplay.errors import TemplateError

_LIST_MERGES = frozenset({"replace", "keep", "append", "prepend", "append_rp", "prepend_rp"})


def _is_sequence(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def flatten(items: Iterable[Any], levels: int | None = None, skip_nulls: bool = True) -> list[Any]:
    """Nested lists flattened (`levels` deep, all by default); nulls dropped."""
    result: list[Any] = []
    for element in items:
        if skip_nulls and element in (None, "None", "null"):
            continue
        if _is_sequence(element) and (levels is None or levels >= 1):
            deeper = None if levels is None else int(levels) - 1
            result.extend(flatten(element, deeper, skip_nulls))
        else:
            result.append(element)
    return result


def _merge_lists(old: list[Any], new: list[Any], how: str) -> list[Any]:
    if how == "keep":
        return old
    if how == "append":
        return old + new
    if how == "prepend":
        return new + old
    if how == "append_rp":
        return [item for item in old if item not in new] + new
    if how == "prepend_rp":
        return new + [item for item in old if item not in new]
    return new


def _merge(low: Mapping[Any, Any], high: Mapping[Any, Any], recursive: bool,
           list_merge: str) -> dict[Any, Any]:
    result = dict(low)
    for key, value in high.items():
        current = result.get(key)
        if recursive and isinstance(current, Mapping) and isinstance(value, Mapping):
            result[key] = _merge(current, value, recursive, list_merge)
        elif isinstance(current, list) and isinstance(value, list):
            result[key] = _merge_lists(current, value, list_merge)
        else:
            result[key] = value
    return result


def combine(*terms: Any, recursive: bool = False, list_merge: str = "replace",
            **unknown: Any) -> dict[Any, Any]:
    """Dicts merged left to right (later wins); nested dicts too with `recursive`."""
    if unknown:
        raise TemplateError("'recursive' and 'list_merge' are the only valid keyword arguments")
    if list_merge not in _LIST_MERGES:
        raise TemplateError(f"'{list_merge}' is not a valid list_merge value; "
                            f"use one of {', '.join(sorted(_LIST_MERGES))}")
    dicts = flatten(terms, levels=1)
    result: dict[Any, Any] = {}
    for item in dicts:
        if not isinstance(item, Mapping):
            raise TemplateError(f"failed to combine variables, expected dicts but got "
                                f"{type(item).__name__!r}")
        result = _merge(result, item, recursive, list_merge)
    return result


def dict2items(value: Any, key_name: str = "key", value_name: str = "value") -> list[Any]:
    """[{key: k, value: v}, ...] from a dict."""
    if not isinstance(value, Mapping):
        raise TemplateError(f"dict2items requires a dictionary, got {type(value)} instead.")
    return [{key_name: key, value_name: item} for key, item in value.items()]


def items2dict(value: Any, key_name: str = "key", value_name: str = "value") -> dict[Any, Any]:
    """The reverse of dict2items."""
    if not _is_sequence(value):
        raise TemplateError(f"items2dict requires a list, got {type(value)} instead.")
    try:
        return {item[key_name]: item[value_name] for item in value}
    except KeyError:
        raise TemplateError(f"items2dict requires each dictionary in the list to contain "
                            f"the keys '{key_name}' and '{value_name}', got {value} "
                            f"instead.") from None
    except TypeError:
        raise TemplateError(f"items2dict requires a list of dictionaries, got {value} "
                            f"instead.") from None


def _unique(items: Iterable[Any]) -> list[Any]:
    result: list[Any] = []
    for item in items:
        if item not in result:
            result.append(item)
    return result


def _attribute(item: Any, attribute: str | int) -> Any:
    """`item.attribute` as Jinja's attribute getters read it: dotted parts, digits as
    indexes, a key first and then an attribute."""
    value = item
    for part in str(attribute).split("."):
        key: str | int = int(part) if part.isdigit() else part
        try:
            value = value[key]
        except (KeyError, IndexError, TypeError):
            if not isinstance(key, str) or not hasattr(value, key):
                raise TemplateError(f"object of type {type(value).__name__!r} has no "
                                    f"attribute {part!r}") from None
            value = getattr(value, key)
    return value


def _jinja_unique(items: Iterable[Any], case_sensitive: bool,
                  attribute: str | int | None) -> list[Any]:
    seen: set[Any] = set()
    result: list[Any] = []
    for item in items:
        key = _attribute(item, attribute) if attribute is not None else item
        if isinstance(key, str) and not case_sensitive:
            key = key.lower()
        if key not in seen:
            seen.add(key)
            result.append(item)
    return result


def unique(items: Iterable[Any], case_sensitive: bool | None = None,
           attribute: str | int | None = None) -> list[Any]:
    """Ansible's `unique`: Jinja's (case-insensitive unless `case_sensitive`, hashing
    each item), falling back to an equality scan for unhashable items (dicts) only
    when neither `case_sensitive=False` nor `attribute` was asked for, as ansible-core
    2.19 does; otherwise such input is an error."""
    items = list(items)
    try:
        return _jinja_unique(items, bool(case_sensitive), attribute)
    except (TypeError, TemplateError) as exc:
        if case_sensitive is False or attribute is not None:
            detail = exc.message if isinstance(exc, TemplateError) else str(exc)
            raise TemplateError("Jinja2's unique filter failed and we cannot fall back to "
                                "Ansible's version as it does not support the parameters "
                                f"supplied: {detail}") from None
    return _unique(items)


@jinja2.pass_environment
def extract(environment: jinja2.Environment, item: Any, container: Any,
            morekeys: Any = None) -> Any:
    """`container[item]` (then `[key]` for each of `morekeys`), looked up as Jinja's
    `x[key]` does: a missing key gives the environment's undefined value."""
    keys = [item] + (morekeys if isinstance(morekeys, list) else
                     ([] if morekeys is None else [morekeys]))
    value = container
    for key in keys:
        value = environment.getitem(value, key)
    return value


def union(a: Iterable[Any], b: Iterable[Any]) -> list[Any]:
    """Items in either list, once each."""
    return _unique(itertools.chain(a, b))


def intersect(a: Iterable[Any], b: Iterable[Any]) -> list[Any]:
    """Items in both lists, once each."""
    other = list(b)
    return _unique(item for item in a if item in other)


def difference(a: Iterable[Any], b: Iterable[Any]) -> list[Any]:
    """Items of `a` not in `b`, once each."""
    other = list(b)
    return _unique(item for item in a if item not in other)


def symmetric_difference(a: Iterable[Any], b: Iterable[Any]) -> list[Any]:
    """Items in exactly one of the lists."""
    first, second = list(a), list(b)
    both = intersect(first, second)
    return [item for item in union(first, second) if item not in both]


def _walk(element: Any, path: list[str], skip_missing: bool) -> list[Any]:
    values = element
    for key in path:
        try:
            values = values[key]
        except KeyError:
            if skip_missing:
                return []
            raise TemplateError(f"could not find {key!r} key in iterated item {values!r}") from None
        except TypeError:
            raise TemplateError(f"the key {key} should point to a dictionary, "
                                f"got '{values}'") from None
    if not isinstance(values, list):
        raise TemplateError(f"the key {path[-1]!r} should point to a list, got {values!r}")
    return values


def subelements(obj: Any, path: Any, skip_missing: bool = False) -> list[tuple[Any, Any]]:
    """[element, sub] pairs for each item of the list at `path` in each element."""
    if isinstance(obj, Mapping):
        elements = list(obj.values())
    elif isinstance(obj, list):
        elements = list(obj)
    else:
        raise TemplateError("obj must be a list of dicts or a nested dict")
    if isinstance(path, str):
        keys = path.split(".")
    elif isinstance(path, list):
        keys = [str(key) for key in path]
    else:
        raise TemplateError("subelements must be a list or a string")
    return [(element, sub) for element in elements for sub in _walk(element, keys, skip_missing)]


def data_filters() -> dict[str, Callable[..., Any]]:
    """Name → function for the filters in this file."""
    return {
        "combine": combine, "dict2items": dict2items, "items2dict": items2dict,
        "flatten": flatten, "union": union, "intersect": intersect,
        "difference": difference, "symmetric_difference": symmetric_difference,
        "subelements": subelements,
        "unique": unique, "extract": extract,
    }
