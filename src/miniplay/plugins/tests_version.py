"""The `version` (`version_compare`) test with ansible-core 2.19's version types.

Takes: two version texts, an operator and `strict` or `version_type` (loose, strict,
semver/semantic, pep440). Gives: a bool. Raises: `TemplateError` with ansible-core's
wording for an empty version, an unknown operator or type, both `strict` and
`version_type`, or versions the type cannot parse or order ("Version comparison
failed: ...").

The version types are written here from their definitions (distutils' LooseVersion and
StrictVersion, Semantic Versioning 2.0.0, PEP 440 through `packaging` when installed).
"""

from __future__ import annotations

import importlib
import operator as _operator
import re
from collections.abc import Callable
from typing import Any

from miniplay.errors import TemplateError

_OPERATORS: dict[str, str] = {
    "==": "eq", "=": "eq", "eq": "eq", "<": "lt", "lt": "lt", "<=": "le", "le": "le",
    ">": "gt", "gt": "gt", ">=": "ge", "ge": "ge", "!=": "ne", "<>": "ne", "ne": "ne",
}
_TYPES = ("loose", "strict", "semver", "semantic", "pep440")
_STRICT = re.compile(r"^(\d+)\.(\d+)(\.(\d+))?([ab](\d+))?$", re.ASCII)
_SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$")
_LOOSE_PARTS = re.compile(r"(\d+|[a-z]+|\.)")


def _loose(text: str) -> list[Any]:
    """distutils LooseVersion: runs of digits (as ints) and of other characters."""
    parts = [part for part in _LOOSE_PARTS.split(text) if part and part != "."]
    return [int(part) if part.isdigit() else part for part in parts]


def _strict(text: str) -> tuple[tuple[int, ...], tuple[Any, ...]]:
    """distutils StrictVersion: N.N[.N][{a|b}N]; a release sorts after its pre-releases."""
    found = _STRICT.match(text)
    if found is None:
        raise ValueError(f"invalid version number '{text}'")
    major, minor, _, patch, letter, number = found.groups()
    numbers = (int(major), int(minor), int(patch or 0))
    pre: tuple[Any, ...] = (1,) if letter is None else (0, letter, int(number))
    return numbers, pre


def _semver(text: str) -> tuple[tuple[int, ...], tuple[Any, ...]]:
    """Semantic Versioning 2.0.0 precedence; build metadata is ignored."""
    found = _SEMVER.match(text)
    if found is None:
        raise ValueError(f"invalid semantic version '{text}'")
    core = (int(found.group(1)), int(found.group(2)), int(found.group(3)))
    if not found.group(4):
        return core, (1,)
    ids = tuple((0, int(part), "") if part.isdigit() else (1, 0, part)
                for part in found.group(4).split("."))
    return core, (0, ids)


def _pep440(text: str) -> Any:
    try:
        version_module = importlib.import_module("packaging.version")
    except ImportError:
        raise TemplateError("The pep440 version_type requires the Python 'packaging' "
                            "library") from None
    try:
        return version_module.Version(text)
    except version_module.InvalidVersion as exc:
        raise ValueError(str(exc)) from None


def _parser(strict: Any, version_type: Any) -> Callable[[str], Any]:
    if strict:
        return _strict
    if version_type in (None, "", "loose"):
        return _loose
    if version_type == "strict":
        return _strict
    if version_type in ("semver", "semantic"):
        return _semver
    if version_type == "pep440":
        return _pep440
    raise TemplateError(f"Invalid version type ({version_type}). Must be one of "
                        f"{', '.join(map(repr, _TYPES))}")


def version(value: Any, other: Any, operator: str = "eq", strict: Any = None,
            version_type: Any = None) -> bool:
    """`value <operator> other` as versions of the chosen type."""
    if strict is not None and version_type is not None:
        raise TemplateError("Cannot specify both 'strict' and 'version_type'")
    if not value:
        raise TemplateError("Input version value cannot be empty")
    if not other:
        raise TemplateError("Version parameter to compare against cannot be empty")
    parse = _parser(strict, version_type)
    name = _OPERATORS.get(operator)
    if name is None:
        raise TemplateError(f"Invalid operator type ({operator}). Must be one of "
                            f"{', '.join(map(repr, _OPERATORS))}")
    try:
        return bool(getattr(_operator, name)(parse(str(value)), parse(str(other))))
    except (ValueError, TypeError) as exc:
        raise TemplateError(f"Version comparison failed: {exc}") from None
