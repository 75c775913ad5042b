"""Ansible's Jinja tests (`x is failed`, `v is version('2.0', '>=')`, ...).

Takes: the tested value and the test's arguments. Gives: a bool. Raises:
`TemplateError` when a task-result test gets something that is not a dict ("The
'failed' test expects a dictionary"), an unknown version operator, or a bad regex;
`Templar` adds the test name and the position.

`finished`/`started` on a result without the key are true, as in ansible-core (which
also warns); miniplay has no warning channel here.
"""

from __future__ import annotations

import math
import os
import re
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

from miniplay.errors import TemplateError
from miniplay.plugins.tests_version import version

_VAULT_HEADER = b"$ANSIBLE_VAULT"

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
    method = getattr(compiled, how, None)
    if method is None:  # ansible-core falls back to the text 'search' and calls it
        raise TemplateError("'str' object is not callable")
    return method(str(value)) is not None


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


_TRUE_WORDS = frozenset({"y", "yes", "on", "1", "true", "t"})
_FALSE_WORDS = frozenset({"n", "no", "off", "0", "false", "f"})


def truthy(value: Any, convert_bool: bool = False) -> bool:
    """Python truthiness; with `convert_bool`, boolean-like text and the numbers 1 and 0
    count as the boolean they name, as Ansible's `boolean()` reads them."""
    if convert_bool and not isinstance(value, bool):
        if isinstance(value, str):
            word = value.strip().lower()
            if word in _TRUE_WORDS or word in _FALSE_WORDS:
                return word in _TRUE_WORDS
        elif isinstance(value, (int, float)) and value in (0, 1):
            return value == 1
    return bool(value)


def falsy(value: Any, convert_bool: bool = False) -> bool:
    """Not truthy."""
    return not truthy(value, convert_bool)


def subset(a: Any, b: Any) -> bool:
    """Every item of `a` is in `b` (items must be hashable, as in Ansible)."""
    return set(a) <= set(b)


def superset(a: Any, b: Any) -> bool:
    """Every item of `b` is in `a` (items must be hashable, as in Ansible)."""
    return set(a) >= set(b)


def isnan(value: Any) -> bool:
    """The number is NaN; anything that is not a number is not NaN."""
    try:
        return math.isnan(value)
    except TypeError:
        return False


def is_uri(value: Any, schemes: Any = None) -> bool:
    """Parses as a URI (with `schemes`, one of those schemes)."""
    try:
        parts = urllib.parse.urlparse(value)
    except (TypeError, ValueError, AttributeError):
        return False
    return not schemes or parts.scheme in schemes


def is_url(value: Any, schemes: Any = None) -> bool:
    """A URI with a network location (or a `file:` URI)."""
    if not is_uri(value, schemes):
        return False
    parts = urllib.parse.urlparse(value)
    return bool(parts.netloc or parts.scheme == "file")


def is_urn(value: Any) -> bool:
    """A URI with the `urn` scheme."""
    return is_uri(value, ["urn"])


def vault_encrypted(value: Any) -> bool:
    """Always false: miniplay refuses `!vault` values when it loads them, so no value
    it holds is vault-encrypted."""
    del value
    return False


def vaulted_file(value: Any) -> bool:
    """The file starts with the Ansible Vault header."""
    try:
        with open(str(value), "rb") as handle:
            return handle.read(len(_VAULT_HEADER)) == _VAULT_HEADER
    except OSError:
        raise TemplateError(f"Cannot test if the file {str(value)!r} is a vault.") from None


def contains(seq: Any, item: Any) -> bool:
    """`item in seq`."""
    return bool(item in seq)


def _path_tests() -> dict[str, Callable[..., bool]]:
    """The file tests, each under its short and its `is_` name; they look at the
    controller's file system, where templates render."""
    tests: dict[str, Callable[..., bool]] = {
        "abs": lambda value: os.path.isabs(str(value)),
        "file": lambda value: os.path.isfile(str(value)),
        "dir": lambda value: os.path.isdir(str(value)),
        "link": lambda value: os.path.islink(str(value)),
        "same_file": lambda a, b: os.path.samefile(str(a), str(b)),
        "mount": lambda value: os.path.ismount(str(value)),
    }
    named = {f"is_{name}": test for name, test in tests.items()}
    tests["directory"] = tests.pop("dir")
    return {**tests, **named,
            "exists": lambda value: os.path.exists(str(value)),
            "link_exists": lambda value: os.path.lexists(str(value))}


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
        "nan": isnan, "isnan": isnan, "any": any, "all": all,
        "uri": is_uri, "url": is_url, "urn": is_urn,
        "vault_encrypted": vault_encrypted, "vaulted_file": vaulted_file,
        **_path_tests(),
    }
