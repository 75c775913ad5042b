#!/usr/bin/env python3
"""copy (host side): write bytes the controller sent, or a host file, to `dest`.

Takes (one JSON object on stdin): ``dest``; the data as ``_content`` (base64, sent by
the controller's copy/template action) or ``src`` (a path on the host, with
``remote_src``); ``_original_basename`` (file name when ``dest`` is a directory),
``mode``, ``owner``, ``group``, ``backup``, ``force`` (true), ``follow``, ``validate``
(a command with ``%s``), ``directory_mode``, ``checksum`` (expected SHA1).
Gives (one JSON object on stdout): ansible-core 2.19's copy result: ``dest``,
``checksum``, ``md5sum`` and ``size``/``mode``/``owner``/... when written, ``path`` and
file attributes when already right, ``backup_file``; ``diff`` is a list with one
{before, after, before_header, after_header} when content changes in diff mode, as the
copy action returns it. Raises: nothing; every problem is a failed result.

Idempotent by SHA1 checksum; check mode writes nothing. Standard library only,
Python >= 3.8.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
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
    path_info,
    set_attributes,
)

SPEC = dict(FS_SPEC, dest=("path", REQUIRED), src=("path", None), _content=("str", None),
            _original_basename=("str", None), backup=("bool", False), force=("bool", True),
            follow=("bool", False), validate=("str", None), directory_mode=("raw", None),
            checksum=("str", None), remote_src=("bool", False), local_follow=("bool", True),
            decrypt=("bool", True), content=("raw", None))
ALIASES = {"attr": "attributes"}


def source_bytes(p: dict[str, Any]) -> bytes:
    if p["_content"] is not None:
        return base64.b64decode(p["_content"])
    src = p["src"]
    if src is None:
        raise Failure("src (or content) is required")
    if not os.path.exists(src):
        raise Failure(f"Source {src} not found")
    if not os.access(src, os.R_OK):
        raise Failure(f"Source {src} not readable")
    if os.path.isdir(src):
        raise Failure(f"Cannot copy invalid source '{src}': not a file")
    with open(src, "rb") as handle:
        return handle.read()


def target(p: dict[str, Any], check: bool) -> str | dict[str, Any]:
    """The file to write; a finished result when a directory would have to be made."""
    dest, base = p["dest"], p["_original_basename"]
    if not os.path.dirname(dest):  # a bare name: Ansible reports it as ./NAME
        dest = os.path.join(".", dest)
    if dest.endswith(os.sep):
        dest = os.path.join(dest, base) if base else dest
        parent = os.path.dirname(dest)
        if not os.path.exists(parent):
            if check:
                return {"msg": f"dest directory {parent} would be created", "changed": True}
            os.makedirs(parent)
            if p["directory_mode"] is not None:
                set_attributes(parent, dict(p, mode=p["directory_mode"]), {}, False)
    if os.path.isdir(dest):
        if base is None and p["_content"] is not None:
            raise Failure("can not use content with a dir as dest")
        dest = os.path.join(dest, base or os.path.basename(p["src"] or "content"))
    if os.path.islink(dest) and p["follow"]:
        dest = os.path.realpath(dest)
    return dest


def sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def text_diff(dest: str, data: bytes) -> dict[str, Any]:
    diff: dict[str, Any] = {"before": ""}
    if os.path.isfile(dest):
        with open(dest, "rb") as handle:
            before = handle.read()
        if b"\0" in before:
            diff = {"dst_binary": 1}
        else:
            diff = {"before_header": dest, "before": before.decode("utf-8", "replace")}
    if b"\0" in data:
        diff["src_binary"] = 1
    else:
        diff.update(after_header=dest, after=data.decode("utf-8", "replace"))
    return diff


def validate(p: dict[str, Any], data: bytes, dest: str) -> None:
    command = p["validate"]
    if "%s" not in command:
        raise Failure(f"validate must contain %s: {command}")
    tmp = os.path.join(os.path.dirname(dest), f".miniplay-validate-{os.getpid()}")
    with open(tmp, "wb") as handle:
        handle.write(data)
    try:
        proc = subprocess.run(command.replace("%s", tmp), shell=True, capture_output=True,
                              check=False)
    finally:
        os.unlink(tmp)
    if proc.returncode != 0:
        raise Failure("failed to validate", exit_status=proc.returncode,
                      stdout=proc.stdout.decode("utf-8", "replace"),
                      stderr=proc.stderr.decode("utf-8", "replace"))


def check_writable(dest: str) -> None:
    parent = os.path.dirname(dest) or "."  # a bare file name: the working directory
    if not os.path.exists(parent):
        raise Failure(f"Destination directory {parent} does not exist")
    if not os.access(parent, os.W_OK) or not os.path.isdir(parent):
        raise Failure(f"Destination {parent} not writable")


def unchanged(p: dict[str, Any], dest: str, digest: str, check: bool) -> dict[str, Any]:
    """Content already right: the file module's answer for the file's attributes."""
    diff: dict[str, Any] = {"before": {"path": dest}, "after": {"path": dest}}
    changed = set_attributes(dest, p, diff, check)
    return path_info({"path": dest, "dest": dest, "changed": changed, "diff": diff,
                      "checksum": digest})


def write(p: dict[str, Any], dest: str, data: bytes, check: bool,
          diff_mode: bool) -> dict[str, Any]:
    digest = sha1(data)
    if p["checksum"] and p["checksum"] != digest:
        raise Failure("Copied file does not match the expected checksum. Transfer failed.",
                      checksum=digest, expected_checksum=p["checksum"])
    exists = os.path.exists(dest)
    if exists and not p["force"]:
        return {"msg": "file already exists", "dest": dest, "changed": False}
    old = None
    if exists and os.path.isfile(dest) and os.access(dest, os.R_OK):
        with open(dest, "rb") as handle:
            old = sha1(handle.read())
    if old == digest and not os.path.islink(dest):
        if p["remote_src"]:  # the copy module's own answer (no action, no file module)
            return {"dest": dest, "src": p["src"], "md5sum": hashlib.md5(data).hexdigest(),
                    "checksum": digest, "changed": set_attributes(dest, p, {}, check)}
        return unchanged(p, dest, digest, check)
    diffs = [text_diff(dest, data)] if diff_mode else []
    if check:
        return {"changed": True, "diff": diffs}
    try:
        check_writable(dest)
    except Failure as failure:
        failure.result["diff"] = diffs
        raise
    result: dict[str, Any] = {"dest": dest, "md5sum": hashlib.md5(data).hexdigest(),
                              "checksum": digest, "changed": True, "diff": diffs}
    if p["src"] is not None:
        result["src"] = p["src"]
    if p["backup"] and exists:
        result["backup_file"] = backup_file(dest)
    if p["validate"]:
        validate(p, data, dest)
    if os.path.islink(dest):
        os.unlink(dest)
    atomic_write(dest, data)
    set_attributes(dest, p, {}, False)
    return path_info(result)


def run(raw: dict[str, Any]) -> dict[str, Any]:
    check, diff_mode = bool(raw.get("_ansible_check_mode")), bool(raw.get("_ansible_diff"))
    p = parse_args(raw, "copy", SPEC, ALIASES)
    data = source_bytes(p)
    dest = target(p, check)
    if isinstance(dest, dict):
        return dest
    result = write(p, dest, data, check, diff_mode)
    if p["remote_src"]:
        result.pop("diff", None)
    elif not diff_mode or not result.get("diff"):
        result["diff"] = []
    return result


def main() -> None:
    raw = json.load(sys.stdin)
    try:
        result = run(raw)
    except Failure as failure:
        result = dict(failure.result, changed=False)
    except OSError as exc:
        result = {"failed": True, "changed": False, "msg": f"{exc.strerror}: {exc.filename}"}
    if not raw.get("remote_src"):
        result.setdefault("diff", [])  # the copy action's shape: a list, even when empty
    shown = {k: v for k, v in raw.items() if k != "_content"}
    emit(result, dict(shown, _ansible_diff=True))


if __name__ == "__main__":
    main()
