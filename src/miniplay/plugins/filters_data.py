"""Ansible's filters on collections: merge, reshape, set algebra, sampling.

Takes: lists and dicts as Jinja passes them. Gives: new lists/dicts (inputs are never
changed). Raises: `TemplateError` for input of the wrong shape; `Templar` adds the filter
name and the position.

Set operations keep the order of first appearance (ansible-core returns Python set order
for hashable items, which varies from run to run); the elements are the same.
"""

from __future__ import annotations

import itertools
import random as _random
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

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


def combine(*terms: Any, recursive: bool = False, list_merge: str = "replace") -> dict[Any, Any]:
    """Dicts merged left to right (later wins); nested dicts too with `recursive`."""
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
    except (KeyError, TypeError):
        raise TemplateError(f"items2dict requires each item to be a dict with "
                            f"{key_name!r} and {value_name!r} keys") from None


def _unique(items: Iterable[Any]) -> list[Any]:
    result: list[Any] = []
    for item in items:
        if item not in result:
            result.append(item)
    return result


def unique(items: Iterable[Any], case_sensitive: bool = False,
           attribute: str | None = None) -> list[Any]:
    """Ansible's `unique`: a list (Jinja's built-in yields a generator), first kept."""
    seen: list[Any] = []
    result: list[Any] = []
    for item in items:
        key = item[attribute] if attribute is not None else item
        if isinstance(key, str) and not case_sensitive:
            key = key.lower()
        if key not in seen:
            seen.append(key)
            result.append(item)
    return result


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


def zip_lists(*lists: Iterable[Any]) -> list[list[Any]]:
    """Lists zipped into pairs (shortest wins)."""
    return [list(group) for group in zip(*lists, strict=False)]


def zip_longest(*lists: Iterable[Any], fillvalue: Any = None) -> list[list[Any]]:
    """Lists zipped, padded with `fillvalue`."""
    return [list(group) for group in itertools.zip_longest(*lists, fillvalue=fillvalue)]


def product(*lists: Iterable[Any], repeat: int = 1) -> list[list[Any]]:
    """Cartesian product of the lists."""
    return [list(group) for group in itertools.product(*lists, repeat=repeat)]


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


def subelements(obj: Any, path: Any, skip_missing: bool = False) -> list[list[Any]]:
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
    return [[element, sub] for element in elements for sub in _walk(element, keys, skip_missing)]


def random_choice(value: Any, start: int | None = None, step: int | None = None,
                  seed: Any = None) -> Any:
    """A random item of a sequence, or a random int below `value`."""
    rng = _random.Random(seed) if seed is not None else _random.SystemRandom()
    if isinstance(value, int):
        return rng.randrange(start or 0, value, step or 1)
    if _is_sequence(value) or isinstance(value, str):
        return rng.choice(value)
    raise TemplateError("random can only be used on sequences and integers")


def shuffle(value: Iterable[Any], seed: Any = None) -> list[Any]:
    """A shuffled copy of the list."""
    items = list(value)
    rng = _random.Random(seed) if seed is not None else _random.SystemRandom()
    rng.shuffle(items)
    return items


def human_readable(size: Any, isbits: bool = False, unit: str | None = None) -> str:
    """Bytes (or bits) as text with a binary unit: 1024 → '1.00 KB'."""
    names = ["", "K", "M", "G", "T", "P", "E", "Z", "Y"]
    suffix = "b" if isbits else "B"
    value = float(size)
    limit = names.index(unit[0].upper()) if unit else None
    index = 0
    while (value >= 1024 if limit is None else index < limit) and index < len(names) - 1:
        value /= 1024
        index += 1
    return f"{value:.2f} {names[index]}{suffix}"


def data_filters() -> dict[str, Callable[..., Any]]:
    """Name → function for the filters in this file."""
    return {
        "combine": combine, "dict2items": dict2items, "items2dict": items2dict,
        "flatten": flatten, "union": union, "intersect": intersect,
        "difference": difference, "symmetric_difference": symmetric_difference,
        "zip": zip_lists, "zip_longest": zip_longest, "product": product,
        "subelements": subelements, "random": random_choice, "shuffle": shuffle,
        "human_readable": human_readable, "unique": unique,
    }
