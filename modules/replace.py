#!/usr/bin/env python3
"""replace: replace every match of a regular expression in a file.

Takes (one JSON object on stdin): ``path`` (aliases ``dest``, ``destfile``, ``name``),
``regexp`` (MULTILINE), ``replace`` (backreferences allowed), ``after``/``before``
(limit the section), ``backup``, ``validate``, ``encoding``, ``mode``/``owner``/``group``.
Gives (one JSON object on stdout): ansible-core 2.19's replace result: ``changed``,
``msg`` ("N replacements made"), ``rc: 0``, ``backup_file``, ``diff`` {before, after,
headers} in diff mode. Raises: nothing; a missing file (rc 257), a directory (rc 256) or
a bad regexp is a failed result.

Idempotent when the replacement no longer matches; check mode writes nothing. Standard
library only, Python >= 3.8.
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

SPEC = dict(FS_SPEC, path=("path", REQUIRED), regexp=("str", REQUIRED), replace=("str", ""),
            after=("str", None), before=("str", None), backup=("bool", False),
            validate=("str", None), encoding=("str", "utf-8"))
ALIASES = {"dest": "path", "destfile": "path", "name": "path", "attr": "attributes"}


def section_of(p: dict[str, Any], text: str) -> tuple[int, int] | str:
    """The (start, end) the replacement applies to, or the message when none matches."""
    after, before = p["after"], p["before"]
    if after and before:
        pattern = f"{after}(?P<subsection>.*?){before}"
    elif after:
        pattern = f"{after}(?P<subsection>.*)"
    elif before:
        pattern = f"(?P<subsection>.*){before}"
    else:
        return 0, len(text)
    match = re.search(pattern, text, re.DOTALL)
    if not match:
        return f"Pattern for before/after params did not match the given file: {pattern}"
    return match.start("subsection"), match.end("subsection")


def validate(p: dict[str, Any], data: bytes) -> None:
    if "%s" not in p["validate"]:
        raise Failure(f"validate must contain %s: {p['validate']}")
    fd, tmp = temp_file(os.environ.get("TMPDIR", "/tmp"), "miniplay-validate-")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    proc = subprocess.run(p["validate"].replace("%s", tmp), shell=True, capture_output=True,
                          check=False)
    os.unlink(tmp)
    if proc.returncode != 0:
        raise Failure(f"failed to validate: rc:{proc.returncode} error:"
                      + proc.stderr.decode("utf-8", "replace"))


def run(raw: dict[str, Any]) -> dict[str, Any]:
    p = parse_args(raw, "replace", SPEC, ALIASES)
    check, diff_mode = bool(raw.get("_ansible_check_mode")), bool(raw.get("_ansible_diff"))
    path = p["path"]
    if os.path.isdir(path):
        raise Failure(f"Path {path} is a directory !", rc=256)
    if not os.path.exists(path):
        raise Failure(f"Path {path} does not exist !", rc=257)
    with open(path, "rb") as handle:
        text = handle.read().decode(p["encoding"])
    span = section_of(p, text)
    if isinstance(span, str):
        return {"rc": 0, "msg": span, "changed": False}
    section = text[span[0]:span[1]]
    try:
        regex = re.compile(p["regexp"], re.MULTILINE)
    except re.error as exc:  # uncaught in Ansible's module: reported as a module crash
        raise Failure(f"Task failed: Module failed: {exc}") from None
    try:
        new_section, count = regex.subn(p["replace"], section)
    except re.error as exc:
        raise Failure(f"Unable to process replace due to error: {exc}") from None
    result: dict[str, Any] = {"rc": 0}
    msg = ""
    if count > 0 and new_section != section:
        new = text[:span[0]] + new_section + text[span[1]:]
        msg = f"{count} replacements made"
        if diff_mode:
            result["diff"] = {"before_header": path, "before": text, "after_header": path,
                              "after": new}
        if not check:
            if p["backup"]:
                result["backup_file"] = backup_file(path)
            if p["validate"]:
                validate(p, new.encode(p["encoding"]))
            atomic_write(os.path.realpath(path), new.encode(p["encoding"]))
    if set_attributes(path, p, {}, check):
        msg = (msg + " and " if msg else "") + "ownership, perms or SE linux context changed"
    return dict(result, msg=msg, changed=bool(msg))


def main() -> None:
    raw = json.load(sys.stdin)
    try:
        result = run(raw)
    except Failure as failure:
        result = failure.result
    except (OSError, UnicodeError, LookupError) as exc:
        result = {"failed": True, "msg": str(exc)}
    emit(result, raw)


if __name__ == "__main__":
    main()
