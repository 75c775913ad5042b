#!/usr/bin/env python3
"""find: list the files under some directories that match patterns, age, size, type.

Takes (one JSON object on stdin): ``paths`` (aliases ``path``, ``name``; a list or a
comma-separated string), ``patterns`` (globs, or regexes with ``use_regex``),
``excludes``, ``contains`` (a regex over lines), ``file_type`` (``file``/``directory``/
``link``/``any``), ``recurse``, ``depth``, ``hidden``, ``follow``, ``age`` (``-1d``,
``2w``), ``age_stamp``, ``size`` (``10k``, ``-1m``), ``get_checksum``, ``limit``.
Gives (one JSON object on stdout): ansible-core 2.19's find result: ``files`` (one stat
dict per match, with ``path``), ``matched``, ``examined``, ``msg``, ``skipped_paths``,
``changed: false``. Raises: nothing; bad arguments are failed results, unreadable paths
are skipped with a warning.

Read-only, so check mode is the same run. Standard library only, Python >= 3.8.
"""

from __future__ import annotations

import fnmatch
import grp
import hashlib
import json
import os
import pwd
import re
import stat as st
import sys
import time
from typing import Any

TRUE = ("1", "true", "yes", "on", "y", "t")
DEFAULTS: dict[str, Any] = {
    "paths": None, "patterns": [], "excludes": None, "contains": None,
    "read_whole_file": False, "file_type": "file", "age": None, "age_stamp": "mtime",
    "size": None, "recurse": False, "hidden": False, "follow": False, "get_checksum": False,
    "checksum_algorithm": "sha1", "use_regex": False, "depth": None, "mode": None,
    "exact_mode": True, "encoding": None, "limit": None}
ALIASES = {"path": "paths", "name": "paths", "pattern": "patterns", "exclude": "excludes",
           "checksum": "checksum_algorithm", "checksum_algo": "checksum_algorithm"}
BOOLS = ("read_whole_file", "recurse", "hidden", "follow", "get_checksum", "use_regex",
         "exact_mode")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
SIZES = {"b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
KINDS = {"isdir": st.S_ISDIR, "ischr": st.S_ISCHR, "isblk": st.S_ISBLK, "isreg": st.S_ISREG,
         "isfifo": st.S_ISFIFO, "islnk": st.S_ISLNK, "issock": st.S_ISSOCK}
BITS = {"wusr": st.S_IWUSR, "rusr": st.S_IRUSR, "xusr": st.S_IXUSR, "wgrp": st.S_IWGRP,
        "rgrp": st.S_IRGRP, "xgrp": st.S_IXGRP, "woth": st.S_IWOTH, "roth": st.S_IROTH,
        "xoth": st.S_IXOTH, "isuid": st.S_ISUID, "isgid": st.S_ISGID}


class Failure(Exception):
    """Ends the module with a failed result carrying `fields`."""

    def __init__(self, msg: str, **fields: Any) -> None:
        super().__init__(msg)
        self.result = dict(fields, msg=msg, failed=True)


def as_list(value: Any) -> list[str] | None:
    if value is None:
        return None
    items = value if isinstance(value, list) else str(value).split(",")
    return [str(item).strip() if not isinstance(value, list) else str(item) for item in items]


def params_of(raw: dict[str, Any]) -> dict[str, Any]:
    given = {ALIASES.get(k, k): v for k, v in raw.items() if not k.startswith("_ansible_")}
    unknown = sorted(set(given) - set(DEFAULTS))
    if unknown:
        raise Failure(f"Unsupported parameters for (find) module: {', '.join(unknown)}. "
                      f"Supported parameters include: {', '.join(sorted(DEFAULTS))}.")
    p = dict(DEFAULTS, **given)
    if p["paths"] is None:
        raise Failure("missing required arguments: paths")
    for name in BOOLS:
        p[name] = str(p[name]).lower() in TRUE
    p["paths"] = [os.path.expanduser(os.path.expandvars(x)) for x in as_list(p["paths"]) or []]
    p["patterns"] = as_list(p["patterns"]) or [".*" if p["use_regex"] else "*"]
    p["excludes"] = as_list(p["excludes"])
    if p["file_type"] not in ("any", "directory", "file", "link"):
        raise Failure("value of file_type must be one of: any, directory, file, link, "
                      f"got: {p['file_type']}")
    p["age"] = amount(p["age"], r"^(-?\d+)(s|m|h|d|w)?$", UNITS, "age")
    p["size"] = amount(p["size"], r"^(-?\d+)(b|k|m|g|t)?$", SIZES, "size")
    if p["limit"] is not None and int(p["limit"]) <= 0:
        raise Failure(f"limit cannot be {int(p['limit'])} (use None for unlimited)")
    return p


def amount(text: Any, pattern: str, units: dict[str, int], name: str) -> int | None:
    if text is None:
        return None
    match = re.match(pattern, str(text).lower())
    if not match:
        raise Failure(f"failed to process {name}", **{name: text})
    return int(match.group(1)) * units.get(match.group(2) or "", 1)


def name_matches(name: str, p: dict[str, Any]) -> bool:
    if p["use_regex"]:
        def hit(pats: list[str]) -> bool:
            return any(re.match(pat, name) for pat in pats)
    else:
        def hit(pats: list[str]) -> bool:
            return any(fnmatch.fnmatch(name, pat) for pat in pats)
    return hit(p["patterns"]) and not (p["excludes"] and hit(p["excludes"]))


def statinfo(path: str, info: os.stat_result) -> dict[str, Any]:
    mode = info.st_mode
    out: dict[str, Any] = {"path": path, "mode": f"{st.S_IMODE(mode):04o}"}
    out.update({name: test(mode) for name, test in KINDS.items()})
    out.update(uid=info.st_uid, gid=info.st_gid, size=info.st_size, inode=info.st_ino,
               dev=info.st_dev, nlink=info.st_nlink, atime=info.st_atime,
               mtime=info.st_mtime, ctime=info.st_ctime, gr_name="", pw_name="")
    try:
        out["pw_name"] = pwd.getpwuid(info.st_uid).pw_name
        out["gr_name"] = grp.getgrgid(info.st_gid).gr_name
    except KeyError:
        pass
    out.update({name: bool(mode & bit) for name, bit in BITS.items()})
    return out


def wanted(path: str, name: str, info: os.stat_result, p: dict[str, Any], now: float) -> bool:
    kind = p["file_type"]
    if kind == "file" and not st.S_ISREG(info.st_mode):
        return False
    if (kind == "directory" and not st.S_ISDIR(info.st_mode)) or (
            kind == "link" and not st.S_ISLNK(info.st_mode)):
        return False
    if not name_matches(name, p):
        return False
    age, size = p["age"], p["size"]
    if age is not None:
        old = now - getattr(info, "st_" + p["age_stamp"])
        if (age >= 0 and old < age) or (age < 0 and old > -age):
            return False
    if size is not None and st.S_ISREG(info.st_mode) and (
            (size >= 0 and info.st_size < size) or (size < 0 and info.st_size > -size)):
        return False
    return kind != "file" or contains(path, p["contains"])


def contains(path: str, pattern: str | None) -> bool:
    if pattern is None:
        return True
    regex = re.compile(pattern)
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return any(regex.match(line) for line in handle)
    except OSError:
        return False


def search(root: str, p: dict[str, Any], found: list[dict[str, Any]]) -> int:
    """Matches under `root` into `found`; how many entries were looked at."""
    if not os.path.isdir(root):
        raise OSError(f"'{root}' is not a directory")
    looked, now = 0, time.time()
    for base, dirs, files in os.walk(root, followlinks=p["follow"]):
        looked += len(files) + len(dirs)
        for name in files + dirs:
            path = os.path.normpath(os.path.join(base, name))
            depth = path.count(os.sep) - (root.rstrip(os.sep) + os.sep).count(os.sep) + 1
            if (p["depth"] and depth > int(p["depth"])) or (
                    name.startswith(".") and not p["hidden"]):
                continue
            info = os.lstat(path)
            if wanted(path, name, info, p, now):
                entry = statinfo(path, info)
                if p["get_checksum"] and st.S_ISREG(info.st_mode):
                    with open(path, "rb") as handle:
                        entry["checksum"] = hashlib.new(p["checksum_algorithm"],
                                                        handle.read()).hexdigest()
                found.append(entry)
            if p["limit"] is not None and len(found) >= int(p["limit"]):
                return looked
        if not p["recurse"]:
            break
    return looked


def run(p: dict[str, Any]) -> dict[str, Any]:
    found: list[dict[str, Any]] = []
    skipped: dict[str, str] = {}
    warnings, looked = [], 0
    for root in p["paths"]:
        try:
            looked += search(root, p, found)
        except OSError as exc:
            skipped[root] = str(exc)
            warnings.append(f"Skipped '{root}' path due to this access issue: {exc}\n")
    msg = "Not all paths examined, check warnings for details" if warnings else (
        "Limit of matches reached" if p["limit"] and len(found) >= int(p["limit"])
        else "All paths examined")
    result = {"files": found, "changed": False, "msg": msg, "matched": len(found),
              "examined": looked, "skipped_paths": skipped}
    if warnings:
        result["warnings"] = warnings
    return result


def main() -> None:
    raw = json.load(sys.stdin)
    try:
        result = run(params_of(raw))
    except Failure as failure:
        result = failure.result
    result["invocation"] = {"module_args": {k: v for k, v in raw.items()
                                            if not k.startswith("_ansible_")}}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
