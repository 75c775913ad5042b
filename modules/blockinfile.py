#!/usr/bin/env python3
"""blockinfile: keep a block of lines between two marker lines in a file.

Takes (one JSON object on stdin): ``path`` (aliases ``dest``, ``destfile``, ``name``),
``block`` (alias ``content``; empty removes the block), ``marker`` (with ``{mark}``),
``marker_begin``/``marker_end``, ``state`` (``present``/``absent``), ``insertafter``/
``insertbefore`` (a regexp, ``EOF``/``BOF``), ``create``, ``backup``, ``validate``,
``append_newline``/``prepend_newline``, ``mode``/``owner``/``group``.
Gives (one JSON object on stdout): ansible-core 2.19's blockinfile result: ``changed``,
``msg`` ("Block inserted", "Block removed", "File created"), ``backup_file`` and ``diff``
as a list (content, then attributes). Raises: nothing; a missing file without
``create`` (rc 257) or a directory (rc 256) is a failed result.

Idempotent: the markers find the block again and an identical block changes nothing;
check mode writes nothing. Standard library only, Python >= 3.8.
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

SPEC = dict(FS_SPEC, path=("path", REQUIRED), state=("str", "present"),
            marker=("str", "# {mark} ANSIBLE MANAGED BLOCK"), block=("str", ""),
            insertafter=("str", None), insertbefore=("str", None), create=("bool", False),
            backup=("bool", False), validate=("str", None), marker_begin=("str", "BEGIN"),
            marker_end=("str", "END"), append_newline=("bool", False),
            prepend_newline=("bool", False))
ALIASES = {"dest": "path", "destfile": "path", "name": "path", "content": "block",
           "attr": "attributes"}


def anchor_index(p: dict[str, Any], lines: list[bytes], original: bytes) -> int:
    """Where a new block goes: after the last insertafter match, before insertbefore's."""
    after, before = p["insertafter"], p["insertbefore"]
    pattern = after if after not in (None, "EOF") else (
        before if before not in (None, "BOF") else None)
    if pattern is None:
        return 0 if before is not None else len(lines)
    regex = re.compile(pattern.encode())
    found = None
    if regex.flags & re.MULTILINE:
        match = regex.search(original)
        if match:
            found = original.count(b"\n", 0, match.end() if after else match.start())
    else:
        for number, line in enumerate(lines):
            if regex.search(line):
                found = number
    if found is None:
        return len(lines)
    return found + 1 if after is not None else found


def edit(p: dict[str, Any], lines: list[bytes], original: bytes) -> list[bytes]:
    """The lines with the block (re)placed or removed."""
    marker = p["marker"].encode()
    begin = marker.replace(b"{mark}", p["marker_begin"].encode()) + b"\n"
    end = marker.replace(b"{mark}", p["marker_end"].encode()) + b"\n"
    block = p["block"].encode()
    present = p["state"] == "present"
    body: list[bytes] = []
    if present and block:
        block = block if block.endswith(b"\n") else block + b"\n"
        body = [begin, *block.splitlines(True), end]
    n0 = max((i for i, line in enumerate(lines) if line == begin), default=None)
    n1 = max((i for i, line in enumerate(lines) if line == end), default=None)
    if n0 is None or n1 is None:
        at = anchor_index(p, lines, original)
    else:
        at = min(n0, n1)
        del lines[at:max(n0, n1) + 1]
    if at > 0 and not lines[at - 1].endswith(b"\n"):
        lines[at - 1] += b"\n"
    if p["prepend_newline"] and present and at != 0 and lines[at - 1] != b"\n":
        lines.insert(at, b"\n")
        at += 1
    lines[at:at] = body
    following = at + len(body)
    if p["append_newline"] and present and following < len(lines) and (
            lines[following] != b"\n"):
        lines.insert(following, b"\n")
    return lines


def write(p: dict[str, Any], data: bytes, path: str) -> None:
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
    atomic_write(path, data)


def read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def message(original: bytes | None, result: bytes, removed: bool) -> str:
    if original == result:
        return ""
    if original is None:
        return "File created"
    return "Block removed" if removed else "Block inserted"


def run(raw: dict[str, Any]) -> dict[str, Any]:
    p = parse_args(raw, "blockinfile", SPEC, ALIASES)
    check, diff_mode = bool(raw.get("_ansible_check_mode")), bool(raw.get("_ansible_diff"))
    path = p["path"]
    if p["insertafter"] is not None and p["insertbefore"] is not None:
        raise Failure("parameters are mutually exclusive: insertbefore|insertafter")
    if os.path.isdir(path):
        raise Failure(f"Path {path} is a directory !", rc=256)
    exists = os.path.exists(path)
    if not exists and not p["create"]:
        raise Failure(f"Path {path} does not exist !", rc=257)
    if not exists and not check and os.path.dirname(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
    original = read(path) if exists else None
    diff = {"before": "", "after": "", "before_header": f"{path} (content)",
            "after_header": f"{path} (content)"}
    if diff_mode and original:
        diff["before"] = original.decode("utf-8", "replace")
    if p["state"] != "present" and not exists:
        return {"changed": False, "msg": f"File {path} not present"}
    result = b"".join(edit(p, (original or b"").splitlines(True), original or b""))
    if diff_mode:
        diff["after"] = result.decode("utf-8", "replace")
    removed = p["state"] != "present" or not p["block"]
    msg = message(original, result, removed)
    out: dict[str, Any] = {}
    if msg and not check:
        if p["backup"] and exists:
            out["backup_file"] = backup_file(path)
        write(p, result, os.path.realpath(path))
    if check and not exists:
        return {"changed": bool(msg), "msg": msg, "diff": diff}
    attr_diff: dict[str, Any] = {}
    if set_attributes(path, p, attr_diff, check):
        msg = (msg + " and " if msg else "") + "ownership, perms or SE linux context changed"
    attr_diff.update(before_header=f"{path} (file attributes)",
                     after_header=f"{path} (file attributes)")
    return dict(out, changed=bool(msg), msg=msg, diff=[diff, attr_diff])


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
