"""Ansible's core filters on values and text: plain functions over plain data.

Takes: the filtered value and the filter's arguments, as Jinja passes them. Gives: a new
value; input is never changed. Raises: `TemplateError` (or ValueError/TypeError) for
input the filter cannot handle; `Templar` adds the filter name and the position.

Data filters (combine, flatten, set operations...) live in `filters_data.py`; this file
holds conversion, text, regex, path, encoding and hash filters. Behaviour follows
ansible-core 2.19 (`plugins/filter/core.py`), written anew here.
"""

from __future__ import annotations

import datetime
import importlib
import io
import json
import re
import shlex
import time
from collections.abc import Callable, Mapping
from typing import Any

import jinja2
from ruamel.yaml import YAML

from miniplay.errors import TemplateError
from miniplay.loader import loads, plain
from miniplay.unsafe import UnsafeText, mark_unsafe

_TRUE = frozenset({"yes", "on", "true", "1"})
_FALSE = frozenset({"no", "off", "false", "0"})


def native_type_name(value: object) -> str:
    """The Python type name Ansible shows (`type_debug`); unsafe text is `str`, an
    undefined value `UndefinedMarker`."""
    if isinstance(value, UnsafeText):
        return "str"
    if isinstance(value, jinja2.Undefined):
        return "UndefinedMarker"
    return type(value).__name__


def default(value: Any, default_value: Any = "", boolean: bool = False) -> Any:
    """`default_value` when `value` is undefined (or, with `boolean`, falsy)."""
    if not isinstance(boolean, bool):
        raise TemplateError(f"The 'boolean' argument must be of type 'bool', not "
                            f"{native_type_name(boolean)!r}.")
    if isinstance(value, jinja2.Undefined) or (boolean and not value):
        return default_value
    return value


def to_bool(value: Any) -> bool:
    """2.19 `bool`: yes/on/true/1 and no/off/false/0 (any case); else `== 1`."""
    if isinstance(value, bool):
        return value
    key = str(value).lower() if isinstance(value, (str, int)) else value
    try:
        if key in _TRUE:
            return True
        if key in _FALSE:
            return False
    except TypeError:  # unhashable (a dict, a list): not a boolean word
        return False
    return bool(value == 1)


def mandatory(value: Any, msg: str | None = None) -> Any:
    """`value`, or an error naming the undefined variable."""
    if isinstance(value, jinja2.Undefined):
        if msg is not None:
            raise TemplateError(msg)
        name = value._undefined_name
        raise TemplateError(f"Mandatory variable {name!r} not defined." if name else
                            "Mandatory variable not defined.")
    return value


def ternary(value: Any, true_val: Any, false_val: Any, none_val: Any = None) -> Any:
    """`true_val` if `value` is truthy, else `false_val` (`none_val` for None if given)."""
    if value is None and none_val is not None:
        return none_val
    return true_val if value else false_val


def type_debug(value: Any) -> str:
    """The type name of `value`."""
    return native_type_name(value)


def _plain_data(value: Any) -> Any:
    """JSON/YAML-ready data: plain str for unsafe text, lists for tuples."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, Mapping):
        return {_plain_data(key): _plain_data(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain_data(item) for item in value]
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    raise TypeError(f"Object of type {native_type_name(value)} is not JSON serializable")


_PROFILES = frozenset({"legacy", "module_legacy_c2m", "module_legacy_m2c", "module_modern_c2m",
                       "module_modern_m2c", "cache_persistence", "inventory_legacy",
                       "fallback_to_str"})
"""ansible-core's other JSON profiles: about its internal tags (vault, unsafe), which
miniplay does not carry, so they are refused by name rather than taken as `tagless`."""


def _profile(profile: Any, vault_to_text: Any = ..., preprocess_unsafe: Any = ...) -> None:
    """Checks the JSON options: `profile` is absent or `tagless`; the deprecated
    `vault_to_text`/`preprocess_unsafe` change nothing (as in 2.19) but not with one."""
    if profile and vault_to_text is not ...:
        raise TemplateError("Only one of `vault_to_text` or `profile` can be specified.")
    if profile and preprocess_unsafe is not ...:
        raise TemplateError("Only one of `preprocess_unsafe` or `profile` can be specified.")
    if profile in (None, "", "tagless"):
        return
    if profile in _PROFILES:
        raise TemplateError(f"the JSON profile {profile!r} is not supported by miniplay "
                            "(only 'tagless')")
    raise TemplateError(f"Unknown profile name {profile!r}.")


def to_json(value: Any, profile: str | None = None, vault_to_text: Any = ...,
            preprocess_unsafe: Any = ..., **kwargs: Any) -> str:
    """Compact JSON (Python's default separators); other keywords go to `json.dumps`."""
    _profile(profile, vault_to_text, preprocess_unsafe)
    return json.dumps(_plain_data(value), default=_json_default, **kwargs)


def to_nice_json(value: Any, indent: int = 4, sort_keys: bool = True, **kwargs: Any) -> str:
    """Readable JSON: indent 4, sorted keys (a `separators` keyword is dropped, as in
    Ansible)."""
    kwargs.pop("separators", None)
    return to_json(value, indent=indent, sort_keys=sort_keys, separators=(",", ": "), **kwargs)


def from_json(value: Any, profile: str | None = None, **kwargs: Any) -> Any:
    """Parsed JSON; unsafe input gives unsafe strings inside."""
    _profile(profile)
    result = json.loads(value, **kwargs)
    return mark_unsafe(result) if isinstance(value, UnsafeText) else result


def from_yaml(value: Any) -> Any:
    """Parsed YAML 1.1 as plain data (non-strings pass through, as in Ansible)."""
    if not isinstance(value, str):
        return value
    result = plain(loads(str(value)))
    return mark_unsafe(result) if isinstance(value, UnsafeText) else result


def from_yaml_all(value: Any) -> Any:
    """Every document of a YAML stream, as a list (None gives [], non-strings pass)."""
    if value is None:
        return []
    if not isinstance(value, str):
        return value
    pyyaml = _pyyaml()
    if pyyaml is None:
        raise TemplateError("from_yaml_all needs PyYAML, which is not installed")
    result = list(pyyaml.load_all(str(value), Loader=pyyaml.SafeLoader))
    return mark_unsafe(result) if isinstance(value, UnsafeText) else result


def _pyyaml() -> Any:
    """PyYAML when installed (ansible-core's own dumper, so output matches byte for byte)."""
    try:
        return importlib.import_module("yaml")
    except ImportError:
        return None


def _ruamel_dump(value: Any, flow: bool | None, indent: int | None) -> str:
    dumper = YAML(typ="safe", pure=True)
    dumper.default_flow_style = flow
    if indent is not None:
        dumper.indent(mapping=indent, sequence=indent, offset=0)
    dumper.allow_unicode = True
    stream = io.StringIO()
    dumper.dump(value, stream)
    return stream.getvalue()


def _yaml_dump(value: Any, flow: bool | None, indent: int | None = None,
               **kwargs: Any) -> str:
    data = _plain_data(value)
    pyyaml = _pyyaml()
    if pyyaml is not None:
        options = {"indent": indent} if indent is not None else {}
        text = str(pyyaml.dump(data, Dumper=pyyaml.SafeDumper, allow_unicode=True,
                               default_flow_style=flow, **options, **kwargs))
    else:
        text = _ruamel_dump(data, flow, indent)
    return text.removesuffix("...\n")


def to_yaml(value: Any, default_flow_style: bool | None = None, **kwargs: Any) -> str:
    """YAML text; leaf collections in flow style unless told otherwise."""
    return _yaml_dump(value, default_flow_style, **kwargs)


def to_nice_yaml(value: Any, indent: int = 4, default_flow_style: bool = False,
                 **kwargs: Any) -> str:
    """Block-style YAML with indent 4."""
    return _yaml_dump(value, default_flow_style, indent, **kwargs)


def _flags(ignorecase: bool, multiline: bool) -> int:
    return (re.I if ignorecase else 0) | (re.M if multiline else 0)


def _group_ref(arg: str) -> int | str:
    named = re.fullmatch(r"\\g<(\S+)>", arg)
    if named:
        return named.group(1)
    numbered = re.fullmatch(r"\\(\d+)", arg)
    if numbered:
        return int(numbered.group(1))
    raise TemplateError("Unknown argument")


def regex_search(value: Any, regex: str, *groups: str, ignorecase: bool = False,
                 multiline: bool = False, **_unread: Any) -> Any:
    """The first match (None without one); with `'\\1'`-style args, a list of groups.
    Other keywords are not read, as ansible-core does not read them."""
    refs = [_group_ref(arg) for arg in groups]
    match = re.search(regex, str(value), _flags(ignorecase, multiline))
    if match is None:
        return None
    if not refs:
        return match.group()
    return [match.group(ref) for ref in refs]


def regex_replace(value: Any = "", pattern: str = "", replacement: str = "",
                  ignorecase: bool = False, multiline: bool = False, count: int = 0,
                  mandatory_count: int = 0) -> str:
    """`re.sub`; `mandatory_count` makes too few replacements an error."""
    compiled = re.compile(pattern, _flags(ignorecase, multiline))
    result, made = compiled.subn(replacement, str(value), count=count)
    if mandatory_count and made != mandatory_count:
        raise TemplateError(f"'{pattern}' should match {mandatory_count} times, "
                            f"but matches {made} times in '{value}'")
    return result


def regex_findall(value: Any, regex: str, multiline: bool = False,
                  ignorecase: bool = False) -> list[Any]:
    """Every match, as `re.findall` gives them."""
    return re.findall(regex, str(value), _flags(ignorecase, multiline))


def regex_escape(value: str, re_type: str = "python") -> str:
    """`value` with regex metacharacters escaped."""
    if re_type == "posix_basic":
        return re.sub(r"([].[^$*\\])", r"\\\1", value)
    if re_type == "posix_extended":
        raise TemplateError(f"Regex type ({re_type}) not yet implemented")
    if re_type != "python":
        raise TemplateError(f"Invalid regex type ({re_type})")
    return re.escape(value)


def quote(value: Any) -> str:
    """Shell-quoted text (None quotes as '')."""
    return shlex.quote("" if value is None else str(value))


def to_datetime(value: Any, format: str = "%Y-%m-%d %H:%M:%S") -> datetime.datetime:
    """A datetime parsed with `format`."""
    return datetime.datetime.strptime(str(value), format)


def strftime(string_format: str, second: Any = None, utc: bool = False) -> str:
    """Now (or epoch `second`) formatted with `string_format`, local time or UTC."""
    if second is not None:
        try:
            second = float(second)
        except (TypeError, ValueError):
            raise TemplateError(f"Invalid value for epoch value ({second})") from None
    moment = time.gmtime(second) if utc else time.localtime(second)
    return time.strftime(string_format, moment)


def split(value: Any, sep: str | None = None, maxsplit: int = -1) -> list[str]:
    """`str.split`."""
    return str(value).split(sep, maxsplit)


_COMMENT_STYLES: dict[str, dict[str, str]] = {
    "plain": {"decoration": "# "},
    "erlang": {"decoration": "% "},
    "c": {"decoration": "// "},
    "cblock": {"beginning": "/*", "decoration": " * ", "end": " */"},
    "xml": {"beginning": "<!--", "decoration": " - ", "end": "-->"},
}
_COMMENT_PARTS = frozenset({"newline", "beginning", "prefix", "prefix_count", "decoration",
                            "postfix", "postfix_count", "end"})


def comment(text: Any, style: str = "plain", **parts: Any) -> str:
    """Text as a comment block in `style`, each part overridable as in Ansible
    (`decoration`, `prefix`, `prefix_count`, `postfix`, `postfix_count`, `beginning`,
    `end`, `newline`)."""
    if style not in _COMMENT_STYLES:
        raise TemplateError(f"Invalid style {style!r}.",
                            hint=f"Available styles: {', '.join(_COMMENT_STYLES)}")
    unknown = sorted(set(parts) - _COMMENT_PARTS)
    if unknown:
        raise TemplateError(f"unknown comment option(s): {', '.join(unknown)}")
    style_parts = _COMMENT_STYLES[style]
    edge = str(parts.get("decoration", style_parts["decoration"])).rstrip()
    p: dict[str, Any] = {"newline": "\n", "beginning": "", "prefix": edge, "prefix_count": 1,
                         "decoration": "", "postfix": edge, "postfix_count": 1, "end": "",
                         **style_parts, **parts}
    newline, decoration = str(p["newline"]), str(p["decoration"])
    head = f"{p['beginning']}{newline}" if p["beginning"] else ""
    if p["prefix"]:
        unit = newline if p["prefix"] == newline else f"{p['prefix']}{newline}"
        head += unit * int(p["prefix_count"])
    body = (decoration + str(text).replace(newline, newline + decoration)).replace(
        decoration + newline, decoration.rstrip() + newline)
    tail = newline.join([""] + [str(p["postfix"])] * int(p["postfix_count"]))
    if p["end"]:
        tail += f"{newline}{p['end']}"
    return head + body + tail


def core_filters() -> dict[str, Callable[..., Any]]:
    """Name → function for the filters in this file."""
    return {
        "default": default, "d": default, "bool": to_bool, "mandatory": mandatory,
        "ternary": ternary, "type_debug": type_debug,
        "to_json": to_json, "to_nice_json": to_nice_json, "from_json": from_json,
        "to_yaml": to_yaml, "to_nice_yaml": to_nice_yaml, "from_yaml": from_yaml,
        "regex_search": regex_search, "regex_replace": regex_replace,
        "regex_findall": regex_findall, "regex_escape": regex_escape,
        "quote": quote, "to_datetime": to_datetime, "strftime": strftime, "split": split,
        "comment": comment, "from_yaml_all": from_yaml_all,
    }
