"""Ansible's Jinja tests (`x is failed`, `v is version('2.0', '>=')`, ...).

Takes: the tested value and the test's arguments. Gives: a bool. Raises:
`TemplateError` when a task-result test gets something that is not a dict ("The
'failed' test expects a dictionary"), an unknown version operator, or a bad regex;
`Templar` adds the test name and the position.

`finished`/`started` on a result without the key are true, as in ansible-core (which
also warns); miniplay has no warning channel here.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from typing import Any

from miniplay.errors import TemplateError

_OPERATORS: Mapping[str, str] = {
    "<": "lt", "lt": "lt", "<=": "le", "le": "le", ">": "gt", "gt": "gt",
    ">=": "ge", "ge": "ge", "==": "eq", "=": "eq", "eq": "eq", "!=": "ne", "<>": "ne", "ne": "ne",
}


def _result(value: Any, name: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise TemplateError(f"The '{name}' test expects a dictionary",
                            hint=f"test a registered task result: `register: r` then "
                                 f"`r is {name}`")
    return value


def failed(value: Any) -> bool:
    """The task result failed."""
    return bool(_result(value, "failed").get("failed", False))


def succeeded(value: Any) -> bool:
    """The task result did not fail (a skipped result counts as success)."""
    return not _result(value, "succeeded").get("failed", False)


def changed(value: Any) -> bool:
    """The result changed; for a loop result, any item changed."""
    result = _result(value, "changed")
    if "changed" in result:
        return bool(result["changed"])
    items = result.get("results")
    if isinstance(items, list):
        return any(isinstance(item, Mapping) and item.get("changed") for item in items)
    return False


def skipped(value: Any) -> bool:
    """The task was skipped."""
    return bool(_result(value, "skipped").get("skipped", False))


def finished(value: Any) -> bool:
    """The async job finished (true when the key is absent)."""
    return bool(_result(value, "finished").get("finished", True))


def started(value: Any) -> bool:
    """The async job started (true when the key is absent)."""
    return bool(_result(value, "started").get("started", True))


def unreachable(value: Any) -> bool:
    """The host was unreachable."""
    return bool(_result(value, "unreachable").get("unreachable", False))


def reachable(value: Any) -> bool:
    """The host was reached."""
    return not _result(value, "reachable").get("unreachable", False)


def timedout(value: Any) -> bool:
    """The task hit its `timeout`."""
    period = _result(value, "timedout").get("timedout")
    return isinstance(period, Mapping) and bool(period.get("period"))


def _regex(value: Any, pattern: str, ignorecase: bool, multiline: bool, how: str) -> bool:
    flags = (re.I if ignorecase else 0) | (re.M if multiline else 0)
    try:
        compiled = re.compile(pattern, flags)
    except re.error as exc:
        raise TemplateError(f"invalid regular expression {pattern!r}: {exc}") from None
    return getattr(compiled, how)(str(value)) is not None


def match(value: Any, pattern: str = "", ignorecase: bool = False, multiline: bool = False) -> bool:
    """The regex matches at the start."""
    return _regex(value, pattern, ignorecase, multiline, "match")


def search(value: Any, pattern: str = "", ignorecase: bool = False,
           multiline: bool = False) -> bool:
    """The regex matches anywhere."""
    return _regex(value, pattern, ignorecase, multiline, "search")


def regex(value: Any, pattern: str = "", ignorecase: bool = False, multiline: bool = False,
          match_type: str = "search") -> bool:
    """The regex matches, by `match_type` (search, match or fullmatch)."""
    return _regex(value, pattern, ignorecase, multiline, match_type)


def _version_key(text: str) -> tuple[tuple[int, Any], ...]:
    parts = re.findall(r"\d+|[a-zA-Z]+", text)
    return tuple((0, int(part)) if part.isdigit() else (-1, part) for part in parts)


def version(value: Any, other: Any, operator: str = "eq", strict: bool = False,
            version_type: str | None = None) -> bool:
    """Versions compared loosely (numbers as numbers, letters before numbers)."""
    name = _OPERATORS.get(operator)
    if name is None:
        raise TemplateError(f"Invalid operator type ({operator})")
    if (strict or version_type == "strict") and not re.fullmatch(r"\d+(\.\d+)*", str(value)):
        raise TemplateError(f"Version comparison failed: invalid version number '{value}'")
    left, right = _version_key(str(value)), _version_key(str(other))
    return bool(getattr(left, f"__{name}__")(right))


def truthy(value: Any, convert_bool: bool = False) -> bool:
    """Python truthiness (with `convert_bool`, 'yes'/'no' text as booleans)."""
    if convert_bool and isinstance(value, str):
        return value.lower() in ("yes", "on", "true", "1")
    return bool(value)


def falsy(value: Any, convert_bool: bool = False) -> bool:
    """Not truthy."""
    return not truthy(value, convert_bool)


def subset(a: Any, b: Any) -> bool:
    """Every item of `a` is in `b`."""
    return all(item in b for item in a)


def superset(a: Any, b: Any) -> bool:
    """Every item of `b` is in `a`."""
    return all(item in a for item in b)


def contains(seq: Any, item: Any) -> bool:
    """`item in seq`."""
    return bool(item in seq)


def _path_tests() -> dict[str, Callable[..., bool]]:
    return {
        "abs": lambda value: os.path.isabs(str(value)),
        "file": lambda value: os.path.isfile(str(value)),
        "directory": lambda value: os.path.isdir(str(value)),
        "link": lambda value: os.path.islink(str(value)),
        "exists": lambda value: os.path.exists(os.path.expanduser(str(value))),
        "same_file": lambda a, b: os.path.samefile(str(a), str(b)),
        "mount": lambda value: os.path.ismount(str(value)),
    }


def plugin_tests() -> dict[str, Callable[..., bool]]:
    """Name → function for every test miniplay adds to Jinja's own (Jinja's `defined`,
    `none`, `string`, `number`, `mapping`, `sequence`, `boolean`, `in` are kept, as in
    Ansible)."""
    return {
        "failed": failed, "failure": failed,
        "succeeded": succeeded, "success": succeeded, "successful": succeeded,
        "changed": changed, "change": changed, "skipped": skipped, "skip": skipped,
        "finished": finished, "started": started, "unreachable": unreachable,
        "reachable": reachable, "timedout": timedout,
        "match": match, "search": search, "regex": regex,
        "version": version, "version_compare": version,
        "truthy": truthy, "falsy": falsy, "subset": subset, "issubset": subset,
        "superset": superset, "issuperset": superset, "contains": contains,
        **_path_tests(),
    }
