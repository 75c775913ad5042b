#!/usr/bin/env python3
"""lineinfile: make sure one line is in a file (or is not), by exact text or regexp.

Takes (one JSON object on stdin): ``path`` (aliases ``dest``, ``destfile``, ``name``),
``line`` (alias ``value``), ``regexp`` (alias ``regex``), ``search_string``, ``state``
(``present``/``absent``), ``insertafter``/``insertbefore`` (a regexp, or ``EOF``/``BOF``),
``create``, ``backrefs``, ``firstmatch``, ``backup``, ``validate``, ``mode``/``owner``/
``group``.
Gives (one JSON object on stdout): ansible-core 2.19's lineinfile result: ``changed``,
``msg`` ("line added", "line replaced", "N line(s) removed"), ``backup`` (the backup's
path or ""), ``found`` (absent), and ``diff`` as a list: the content diff (headers
``PATH (content)``) and the attribute diff. Raises: nothing; a missing file without
``create``, a directory or bad arguments are failed results (``rc`` 257/256 as Ansible).

Idempotent: a second identical run finds the line and changes nothing; check mode
writes nothing. Standard library only, Python >= 3.8.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from typing import Any

from _filecommon import (  # miniplay: inline
    FS_SPEC,
    REQUIRED,
    Failure,
    atomic_write,
    backup_file,
    emit,
    parse_args,
    set_attributes,
    temp_file,
)

SPEC = dict(FS_SPEC, path=("path", REQUIRED), state=("str", "present"), line=("str", None),
            regexp=("str", None), search_string=("str", None), insertafter=("str", None),
            insertbefore=("str", None), create=("bool", False), backup=("bool", False),
            backrefs=("bool", False), firstmatch=("bool", False), validate=("str", None))
ALIASES = {"dest": "path", "destfile": "path", "name": "path", "value": "line",
           "regex": "regexp", "attr": "attributes"}


def read_lines(path: str) -> list[bytes]:
    with open(path, "rb") as handle:
        return handle.readlines()


def matches(p: dict[str, Any], text: bytes) -> Any:
    """A regexp match object, True for a search_string hit, else None."""
    if p["regexp"] is not None:
        return re.search(p["regexp"].encode(), text)
    if p["search_string"] is not None:
        return True if p["search_string"].encode() in text else None
    return None


def locate(p: dict[str, Any], lines: list[bytes], line: bytes) -> tuple[int, int, Any, bool]:
    """(index of the matching line, insertion index, the match, exact line found)."""
    found, insert, match, exact = -1, -1, None, False
    if p["regexp"] is not None or p["search_string"] is not None:
        for number, text in enumerate(lines):
            hit = matches(p, text)
            if hit:
                found, match = number, hit
                if p["firstmatch"]:
                    break
    after, before = p["insertafter"], p["insertbefore"]
    anchor = after if after not in (None, "BOF", "EOF") else (
        before if before not in (None, "BOF") else None)
    if not match:
        for number, text in enumerate(lines):
            if text.rstrip(b"\r\n") == line:
                found, exact = number, True
            elif anchor is not None and re.search(anchor.encode(), text):
                insert = number + 1 if after else number
                if p["firstmatch"]:
                    break
    return found, insert, match, exact


def place(p: dict[str, Any], lines: list[bytes], line: bytes) -> str:
    """Edit `lines` in place; Ansible's message for what changed ("" for nothing)."""
    found, insert, match, _ = locate(p, lines, line)
    after, before = p["insertafter"], p["insertbefore"]
    if found != -1:
        new = match.expand(line) if p["backrefs"] and match not in (None, True) else line
        new = new if new.endswith(b"\n") else new + b"\n"
        if lines[found] == new:
            return ""
        lines[found] = new
        return "line replaced"
    if p["backrefs"]:
        return ""
    if "BOF" in (before, after):
        lines.insert(0, line + b"\n")
    elif after == "EOF" or insert == -1:
        if lines and lines[-1][-1:] not in (b"\n", b"\r"):
            lines.append(b"\n")
        lines.append(line + b"\n")
    elif after and len(lines) == insert:
        if lines[insert - 1].rstrip(b"\r\n") == line:
            return ""
        lines.append(line + b"\n")
    elif after and lines[insert].rstrip(b"\r\n") == line:
        return ""
    else:
        lines.insert(insert, line + b"\n")
    return "line added"


def write(p: dict[str, Any], lines: list[bytes], path: str) -> None:
    data = b"".join(lines)
    if p["validate"]:
        if "%s" not in p["validate"]:
            raise Failure(f"validate must contain %s: {p['validate']}")
        fd, tmp = temp_file(os.environ.get("TMPDIR", "/tmp"), "miniplay-validate-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        proc = subprocess.run(p["validate"].replace("%s", tmp), shell=True,
                              capture_output=True, check=False)
        os.unlink(tmp)
        if proc.returncode != 0:
            raise Failure(f"failed to validate: rc:{proc.returncode} error:"
                          + proc.stderr.decode("utf-8", "replace"))
    atomic_write(os.path.realpath(path), data)


def finish(p: dict[str, Any], path: str, msg: str, check: bool,
           diff: dict[str, Any]) -> dict[str, Any]:
    """Attributes after content: the result with both diffs."""
    attr_diff: dict[str, Any] = {}
    if set_attributes(path, p, attr_diff, check):
        msg = (msg + " and " if msg else "") + "ownership, perms or SE linux context changed"
    attr_diff.update(before_header=f"{path} (file attributes)",
                     after_header=f"{path} (file attributes)")
    return {"changed": bool(msg), "msg": msg, "diff": [diff, attr_diff]}


def present(p: dict[str, Any], check: bool, diff_mode: bool) -> dict[str, Any]:
    path = p["path"]
    diff = {"before": "", "after": "", "before_header": f"{path} (content)",
            "after_header": f"{path} (content)"}
    exists = os.path.exists(path)
    if not exists and not p["create"]:
        raise Failure(f"Destination {path} does not exist !", rc=257)
    if not exists and not check and os.path.dirname(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
    lines = read_lines(path) if exists else []
    if diff_mode:
        diff["before"] = b"".join(lines).decode("utf-8", "replace")
    msg = place(p, lines, p["line"].encode())
    if diff_mode:
        diff["after"] = b"".join(lines).decode("utf-8", "replace")
    backup = ""
    if msg and not check:
        if p["backup"] and exists:
            backup = backup_file(path)
        write(p, lines, path)
    if check and not exists:
        return {"changed": bool(msg), "msg": msg, "backup": backup, "diff": diff}
    return dict(finish(p, path, msg, check, diff), backup=backup)


def absent(p: dict[str, Any], check: bool, diff_mode: bool) -> dict[str, Any]:
    path = p["path"]
    if not os.path.exists(path):
        return {"changed": False, "msg": "file not present"}
    diff = {"before": "", "after": "", "before_header": f"{path} (content)",
            "after_header": f"{path} (content)"}
    lines = read_lines(path)
    line = p["line"].encode() if p["line"] is not None else None
    gone = [t for t in lines if matches(p, t) or (
        p["regexp"] is None and p["search_string"] is None and t.rstrip(b"\r\n") == line)]
    kept = [t for t in lines if t not in gone]
    if diff_mode:
        diff.update(before=b"".join(lines).decode("utf-8", "replace"),
                    after=b"".join(kept).decode("utf-8", "replace"))
    backup = ""
    if gone and not check:
        if p["backup"]:
            backup = backup_file(path)
        write(p, kept, path)
    msg = f"{len(gone)} line(s) removed" if gone else ""
    return dict(finish(p, path, msg, check, diff), found=len(gone), backup=backup)


def run(raw: dict[str, Any]) -> dict[str, Any]:
    p = parse_args(raw, "lineinfile", SPEC, ALIASES)
    check, diff_mode = bool(raw.get("_ansible_check_mode")), bool(raw.get("_ansible_diff"))
    if os.path.isdir(p["path"]):
        raise Failure(f"Path {p['path']} is a directory !", rc=256)
    if p["state"] == "present":
        if p["backrefs"] and p["regexp"] is None:
            raise Failure("regexp is required with backrefs=true")
        if p["line"] is None:
            raise Failure("line is required with state=present")
        if p["insertbefore"] is None and p["insertafter"] is None:
            p["insertafter"] = "EOF"
        return present(p, check, diff_mode)
    if (p["regexp"], p["search_string"], p["line"]) == (None, None, None):
        raise Failure("one of line, search_string, or regexp is required with state=absent")
    return absent(p, check, diff_mode)


def main() -> None:
    raw = json.load(sys.stdin)
    try:
        result = run(raw)
    except Failure as failure:
        result = failure.result
    except (OSError, re.error) as exc:
        result = {"failed": True, "msg": str(exc)}
    emit(result, dict(raw, _ansible_diff=True))


if __name__ == "__main__":
    main()
