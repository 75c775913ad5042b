#!/usr/bin/env python3
"""file: make a path a file, directory, link or nothing, with the wanted owner and mode.

Takes (one JSON object on stdin): ``path`` (aliases ``dest``, ``name``), ``state``
(``file``/``directory``/``touch``/``absent``/``link``/``hard``; default: the path's
current kind, else ``file``), ``src`` (link target), ``mode`` (octal int, octal string
or symbolic like ``u=rw,g=r``), ``owner``, ``group``, ``recurse``, ``force``, ``follow``;
internal ``_ansible_check_mode``/``_ansible_diff``.
Gives (one JSON object on stdout): ansible-core 2.19's file result: ``path`` (``dest``
and ``src`` for links), ``changed``, ``state``, ``mode``, ``owner``, ``group``, ``uid``,
``gid``, ``size`` and, in diff mode, ``diff`` ({before, after} of state/mode/owner...).
Raises: nothing; bad arguments and impossible changes are failed results.

Check mode changes nothing and reports what would change. Standard library only,
Python >= 3.8; the helpers shared by every file module live in ``_filecommon.py``, which
miniplay inlines in place of the marked import when it sends the module.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from typing import Any

from _filecommon import (  # miniplay: inline
    FS_SPEC,
    REQUIRED,
    Failure,
    emit,
    note,
    parse_args,
    set_attributes,
)

SPEC = dict(FS_SPEC, path=("path", REQUIRED), state=("str", None), src=("path", None),
            recurse=("bool", False), force=("bool", False), follow=("bool", True),
            _original_basename=("str", None), _diff_peek=("bool", None),
            modification_time=("str", None), modification_time_format=("str", "%Y%m%d%H%M.%S"),
            access_time=("str", None), access_time_format=("str", "%Y%m%d%H%M.%S"))
ALIASES = {"dest": "path", "name": "path", "attr": "attributes"}
STATES = ("absent", "directory", "file", "hard", "link", "touch")


def kind_of(path: str) -> str:
    """What `path` is now: absent, link, directory, hard or file."""
    if not os.path.lexists(path):
        return "absent"
    if os.path.islink(path):
        return "link"
    if os.path.isdir(path):
        return "directory"
    return "hard" if os.stat(path).st_nlink > 1 else "file"


def first_diff(path: str, state: str, prev: str) -> dict[str, Any]:
    diff: dict[str, Any] = {"before": {"path": path}, "after": {"path": path}}
    if prev != state:
        note(diff, "state", prev, state)
        if state == "absent" and prev == "directory":
            walk: dict[str, list[str]] = {"directories": [], "files": []}
            for base, dirs, files in os.walk(path):
                walk["directories"] += [os.path.join(base, d) for d in dirs]
                walk["files"] += [os.path.join(base, f) for f in files]
            diff["before"]["path_content"] = walk
    return diff


def settle(p: dict[str, Any]) -> None:
    """Default the state and check the argument combinations, as the file module does."""
    if p["state"] not in (None, *STATES):
        raise Failure("value of state must be one of: " + ", ".join(STATES)
                      + f", got: {p['state']}")
    if p["state"] not in ("link", "absent") and os.path.isdir(p["path"]):
        base = p["_original_basename"] or (p["src"] and os.path.basename(p["src"]))
        if base:
            p["path"] = os.path.join(p["path"], base)
    if p["state"] is None:
        prev = kind_of(p["path"])
        p["state"] = prev if prev != "absent" else "directory" if p["recurse"] else "file"
    if p["recurse"] and p["state"] != "directory":
        raise Failure("recurse option requires state to be 'directory'", path=p["path"])
    if p["src"] and p["state"] not in ("link", "hard"):
        raise Failure("src option requires state to be 'link' or 'hard'", path=p["path"])


def absent(p: dict[str, Any], check: bool) -> dict[str, Any]:
    path, prev = p["path"], kind_of(p["path"])
    if prev == "absent":
        return {"path": path, "changed": False, "state": "absent"}
    diff = first_diff(path, "absent", prev)
    if not check:
        try:
            if prev == "directory":
                shutil.rmtree(path)
            else:
                os.unlink(path)
        except OSError as exc:
            raise Failure(f"rmtree failed: {exc}" if prev == "directory"
                          else "Unlinking failed.", path=path) from None
    return {"path": path, "changed": True, "diff": diff, "state": "absent"}


def existing(p: dict[str, Any], check: bool) -> dict[str, Any]:
    """state=file: the path must exist; only its attributes change."""
    path = p["path"]
    prev = kind_of(path)
    if prev == "link" and p["follow"]:
        path = os.path.realpath(path)
        prev = kind_of(path)
    if prev not in ("file", "hard"):
        raise Failure(f"file ({path}) is {prev}, cannot continue", path=path, state=prev)
    diff = first_diff(path, "file", prev)
    changed = set_attributes(path, p, diff, check)
    return {"path": path, "changed": changed, "diff": diff}


def directory(p: dict[str, Any], check: bool) -> dict[str, Any]:
    path = p["path"]
    prev = kind_of(path)
    if prev == "link" and p["follow"]:
        path = os.path.realpath(path)
        prev = kind_of(path)
    diff = first_diff(path, "directory", prev)
    if prev == "absent":
        return make_dirs(path, p, diff, check)
    if prev != "directory":
        raise Failure(f"{path} already exists as a {prev}", path=path)
    changed = set_attributes(path, p, diff, check)
    if p["recurse"]:
        for base, dirs, files in os.walk(path):
            for name in dirs + files:
                changed |= set_attributes(os.path.join(base, name), p, {}, check)
    return {"path": path, "changed": changed, "diff": diff}


def make_dirs(path: str, p: dict[str, Any], diff: dict[str, Any],
              check: bool) -> dict[str, Any]:
    if check:
        return {"path": path, "changed": True, "diff": diff}
    current = "/" if path.startswith("/") else ""
    for part in path.strip("/").split("/"):
        current = os.path.join(current, part)
        if os.path.exists(current):
            continue
        try:
            os.mkdir(current)
        except FileExistsError:
            if os.path.isdir(current):  # made meanwhile (another host, same machine)
                continue
            raise Failure(f"There was an issue creating {current} as requested: "
                          "[Errno 17] File exists", path=path) from None
        except OSError as exc:
            raise Failure(f"There was an issue creating {current} as requested: {exc}",
                          path=path) from None
        set_attributes(current, p, diff, False)
    return {"path": path, "changed": True, "diff": diff}


def touch(p: dict[str, Any], check: bool) -> dict[str, Any]:
    path, prev = p["path"], kind_of(p["path"])
    if prev == "absent":
        if check:
            return {"dest": path, "changed": True}
        try:
            open(path, "wb").close()
        except OSError as exc:
            raise Failure("Error, could not touch target.", path=path, details=str(exc)) from None
    diff = first_diff(path, "touch", prev)
    set_attributes(path, p, diff, check)
    stamp(path, p, diff, check, "now")
    return {"dest": path, "changed": True, "diff": diff}


def link(p: dict[str, Any], check: bool) -> dict[str, Any]:
    path, src, prev = p["path"], p["src"], kind_of(p["path"])
    if src is None and p["follow"] and prev == "link":
        src = os.readlink(path)
    base = path if prev == "directory" else os.path.dirname(path)
    if src is not None and not p["force"] and not os.path.exists(os.path.join(base, src)):
        raise Failure("src file does not exist, use 'force=yes' if you really want to create "
                      f"the link: {os.path.join(base, src)}", path=path, src=src)
    if prev in ("directory", "file", "hard") and not p["force"]:
        raise Failure(f"refusing to convert from {prev} to symlink for {path}", path=path)
    if prev == "directory" and os.listdir(path):
        raise Failure(f"the directory {path} is not empty, refusing to convert it", path=path)
    diff = first_diff(path, "link", prev)
    if prev != "link" and src is None:
        raise Failure("src is required for creating new symlinks")
    changed = prev != "link"
    if prev == "link" and src is not None and os.readlink(path) != src:
        note(diff, "src", os.readlink(path), src)
        changed = True
    if changed and not check:
        replace_with(path, prev, lambda tmp: os.symlink(src, tmp))
    if os.path.lexists(path) and (not p["follow"] or os.path.exists(path)):
        target = os.path.realpath(path) if p["follow"] else path
        changed |= set_attributes(target, p, diff, check)
    return {"dest": path, "src": src, "changed": changed, "diff": diff}


def when(value: str | None, fmt: str) -> float | None:
    """A timestamp argument: None to preserve, now, or a time in `fmt`."""
    if value is None or value == "preserve":
        return None
    if value == "now":
        return time.time()
    try:
        return time.mktime(time.strptime(value, fmt))
    except (ValueError, OverflowError) as exc:
        raise Failure(f"Error while obtaining timestamp for time {value} using format "
                      f"{fmt}: {exc}") from None


def stamp(path: str, p: dict[str, Any], diff: dict[str, Any], check: bool,
          default: str | None = None) -> bool:
    """Set modification/access times as asked (touch: now); whether they changed."""
    mtime = when(p["modification_time"] or default, p["modification_time_format"])
    atime = when(p["access_time"] or default, p["access_time_format"])
    if mtime is None and atime is None:
        return False
    before = os.stat(path)
    new = (before.st_atime if atime is None else atime,
           before.st_mtime if mtime is None else mtime)
    if mtime is not None:
        note(diff, "mtime", before.st_mtime, mtime)
    if atime is not None:
        note(diff, "atime", before.st_atime, atime)
    if not check:
        os.utime(path, new)
    return True


def replace_with(path: str, prev: str, make: Any) -> None:
    """Create a link at `path` (through a temp name when something is there)."""
    try:
        if prev == "absent":
            make(path)
            return
        if prev == "directory":
            os.rmdir(path)
        tmp = os.path.join(os.path.dirname(path), f".{os.getpid()}.{time.time()}.tmp")
        make(tmp)
        os.rename(tmp, path)
    except OSError as exc:
        raise Failure(f"Error while linking: {exc}", path=path) from None


def hard(p: dict[str, Any], check: bool) -> dict[str, Any]:
    path, src, prev = p["path"], p["src"], kind_of(p["path"])
    if src is None:
        if prev != "hard":
            raise Failure("src is required for creating new hardlinks")
        diff = first_diff(path, "hard", prev)
        return {"dest": path, "src": src, "changed": set_attributes(path, p, diff, check),
                "diff": diff}
    if not os.path.exists(src):
        raise Failure("src does not exist", dest=path, src=src)
    if prev in ("directory", "link", "file") and not p["force"] and not (
            prev == "file" and os.path.samefile(src, path)):
        raise Failure(f"refusing to convert from {prev} to hard link for {path}", path=path)
    diff = first_diff(path, "hard", prev)
    changed = prev == "absent" or not (prev in ("hard", "file") and os.path.samefile(src, path))
    if changed and prev == "hard":
        note(diff, "src", None, src)
    if changed and not check:
        replace_with(path, prev, lambda tmp: os.link(src, tmp))
    if os.path.exists(path):
        changed |= set_attributes(path, p, diff, check)
    return {"dest": path, "src": src, "changed": changed, "diff": diff}


def main() -> None:
    raw = json.load(sys.stdin)
    check = bool(raw.get("_ansible_check_mode"))
    try:
        params = parse_args(raw, "file", SPEC, ALIASES)
        settle(params)
        action = {"absent": absent, "file": existing, "directory": directory,
                  "touch": touch, "link": link, "hard": hard}[params["state"]]
        result = action(params, check)
    except Failure as failure:
        result = failure.result
    except OSError as exc:
        result = {"failed": True, "msg": f"{exc.strerror}: {exc.filename}", "path": raw.get("path")}
    emit(result, raw)


if __name__ == "__main__":
    main()
