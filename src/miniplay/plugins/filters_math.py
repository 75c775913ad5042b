"""Ansible's math, size, combinatorial and random filters (`mathstuff.py`, `rand`).

Takes: numbers, lists and size texts as Jinja passes them. Gives: numbers, texts or
new lists (combinatorial results as lists of tuples, as inside an ansible-core 2.19
template; they leave a template as lists of lists). Raises: `TemplateError` with
ansible-core's wording ("log() can only be used on numbers", "human_to_bytes() can't
interpret ..."); `Templar` adds the filter name and the position.
"""

from __future__ import annotations

import itertools
import math
import random as _random
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from miniplay.errors import TemplateError

_SIZES = {"Y": 1 << 80, "Z": 1 << 70, "E": 1 << 60, "P": 1 << 50, "T": 1 << 40,
          "G": 1 << 30, "M": 1 << 20, "K": 1 << 10, "B": 1}
_UNIT_NAMES = {"B": ("byte", "bit"), "K": ("kilobyte", "kilobit"), "M": ("megabyte", "megabit"),
               "G": ("gigabyte", "gigabit"), "T": ("terabyte", "terabit"),
               "P": ("petabyte", "petabit"), "E": ("exabyte", "exabit"),
               "Z": ("zetabyte", "zetabit"), "Y": ("yottabyte", "yottabit")}


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TemplateError(f"{name}() can only be used on numbers")
    return value


def logarithm(x: Any, base: Any = math.e) -> float:
    """log of `x` (natural by default; base 10 through `log10`, as Ansible)."""
    number = _number(x, "log")
    if base == 10:
        return math.log10(number)
    return math.log(number, _number(base, "log"))


def power(x: Any, y: Any) -> float:
    """`x ** y` as a float (`math.pow`)."""
    return math.pow(_number(x, "pow"), _number(y, "pow"))


def root(x: Any, base: Any = 2) -> float:
    """Square root, or the `base`-th root."""
    number = _number(x, "root")
    try:
        if base == 2:
            return math.sqrt(number)
        return math.pow(number, 1.0 / float(_number(base, "root")))
    except ValueError as exc:
        raise TemplateError(f"root() can only be used on numbers: {exc}") from None


def human_readable(size: Any, isbits: bool = False, unit: str | None = None) -> str:
    """Bytes (or bits) as text with a binary prefix: 1024 → '1.00 KB', 10 → '10.00 Bytes'."""
    if isinstance(size, str) or not isinstance(size, (int, float)):
        raise TemplateError("human_readable() failed on bad input")
    suffix, limit = "B", 1
    for suffix, limit in _SIZES.items():
        if (unit is None and size >= limit) or (unit is not None
                                                and str(unit).upper() == suffix[0]):
            break
    base = "bits" if isbits else "Bytes"
    label = suffix + base[0] if limit != 1 else base
    return f"{size / limit:.2f} {label}"


def human_to_bytes(size: Any, default_unit: str | None = None, isbits: bool = False) -> int:
    """'2K' → 2048; a unit is `B`-suffixed for bytes, `b` for bits (with `isbits`)."""
    try:
        return _to_bytes(size, default_unit, isbits)
    except TemplateError as exc:
        raise TemplateError(f"human_to_bytes() can't interpret the input: {exc.message}") \
            from None


def _to_bytes(size: Any, default_unit: str | None, isbits: bool) -> int:
    found = re.search(r"^([0-9]*\.?[0-9]+)(?:\s*([A-Za-z]+))?\s*$", str(size))
    if found is None:
        raise TemplateError(f"human_to_bytes() can't interpret following string: {size}")
    number = float(found.group(1))
    unit = found.group(2) or default_unit
    if unit is None:
        return round(number)
    prefix = unit[0].upper()
    if prefix not in _SIZES:
        raise TemplateError(f"human_to_bytes() failed to convert {size} (unit = {unit}). "
                            f"The suffix must be one of {', '.join(_SIZES)}")
    if len(unit) > 1:
        mark = "b" if isbits else "B"
        full = _UNIT_NAMES[prefix][1 if isbits else 0]
        short = "b" if prefix == "B" and isbits else prefix + mark
        if unit.lower() != full and unit != short:
            expect = (f"expect {mark} or {'bit' if isbits else 'byte'}" if prefix == "B"
                      else f"expect {prefix}{mark} or {prefix}")
            raise TemplateError(f"human_to_bytes() failed to convert {size}. Value is not a "
                                f"valid string ({expect})")
    return round(number * _SIZES[prefix])


def rekey_on_member(data: Any, key: Any, duplicates: str = "error") -> dict[Any, Any]:
    """A dict of the items of `data` (a list or dict of dicts) keyed by their `key`."""
    if duplicates not in ("error", "overwrite"):
        raise TemplateError(f"duplicates parameter to rekey_on_member has unknown value "
                            f"{duplicates!r}")
    if isinstance(data, Mapping):
        items: Iterable[Any] = data.values()
    elif isinstance(data, (list, tuple, set, frozenset)):
        items = data
    else:
        raise TemplateError("Type is not a valid list, set, or dict")
    result: dict[Any, Any] = {}
    for item in items:
        if not isinstance(item, Mapping):
            raise TemplateError("List item is not a valid dict")
        if key not in item:
            raise TemplateError(f"Key {key!r} was not found.")
        member = item[key]
        if result.get(member) and duplicates == "error":
            raise TemplateError(f"Key {member!r} is not unique, cannot convert to dict.")
        result[member] = item
    return result


def zip_lists(*lists: Iterable[Any]) -> list[tuple[Any, ...]]:
    """Lists zipped into groups (shortest wins)."""
    return list(zip(*lists, strict=False))


def zip_longest(*lists: Iterable[Any], fillvalue: Any = None) -> list[tuple[Any, ...]]:
    """Lists zipped, padded with `fillvalue`."""
    return list(itertools.zip_longest(*lists, fillvalue=fillvalue))


def product(*lists: Iterable[Any], repeat: int = 1) -> list[tuple[Any, ...]]:
    """Cartesian product of the lists."""
    return list(itertools.product(*lists, repeat=repeat))


def permutations(items: Iterable[Any], r: int | None = None) -> list[tuple[Any, ...]]:
    """Every ordering of `r` items (all of them by default)."""
    return list(itertools.permutations(items, r))


def combinations(items: Iterable[Any], r: int) -> list[tuple[Any, ...]]:
    """Every choice of `r` items, in input order."""
    return list(itertools.combinations(items, r))


def random_choice(value: Any, start: Any = None, step: Any = None, seed: Any = None) -> Any:
    """A random item of a sequence, or a random int in `range(start, value, step)`;
    repeatable with `seed`."""
    rng = _random.Random(seed) if seed is not None else _random.SystemRandom()
    if isinstance(value, int):
        return rng.randrange(start or 0, value, step or 1)
    if hasattr(value, "__iter__"):
        if start or step:
            raise TemplateError("start and step can only be used with integer values")
        return rng.choice(value if isinstance(value, (list, tuple, str)) else list(value))
    raise TemplateError("random can only be used on sequences and integers")


def shuffle(value: Any, seed: Any = None) -> Any:
    """A shuffled copy of the list (repeatable with `seed`); input that is not a
    sequence comes back as it was, as in Ansible."""
    try:
        items = list(value)
    except TypeError:
        return value
    rng = _random.Random(seed) if seed else _random.SystemRandom()
    rng.shuffle(items)
    return items


def math_filters() -> dict[str, Callable[..., Any]]:
    """Name → function for the filters in this file."""
    return {
        "log": logarithm, "pow": power, "root": root,
        "human_readable": human_readable, "human_to_bytes": human_to_bytes,
        "rekey_on_member": rekey_on_member,
        "zip": zip_lists, "zip_longest": zip_longest, "product": product,
        "permutations": permutations, "combinations": combinations,
        "random": random_choice, "shuffle": shuffle,
    }
