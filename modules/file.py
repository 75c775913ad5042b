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
Python >= 3.8; the helpers between the ``common`` markers are shared by every file
module, byte for byte (a module is sent to the host alone, so it cannot import them).
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import re
import shutil
import stat as st
import sys
import time
from typing import Any

# --- common: begin (identical in every file module; tests check it; it needs: grp, json, os,
# pwd, re, shutil, stat as st, time, typing.Any) ---

REQUIRED = object()
TRUE = ("1", "true", "yes", "on", "y", "t")
FALSE = ("0", "false", "no", "off", "n", "f", "")
FS_SPEC = {"mode": ("raw", None), "owner": ("str", None), "group": ("str", None),
           "attributes": ("str", None), "seuser": ("str", None), "serole": ("str", None),
           "setype": ("str", None), "selevel": ("str", None), "unsafe_writes": ("bool", False)}


class Failure(Exception):
    """Ends the module with a failed result carrying `msg` and `fields`."""

    def __init__(self, msg: str, **fields: Any) -> None:
        super().__init__(msg)
        self.result = dict(fields, msg=msg, failed=True)


def convert(name: str, kind: str, value: Any) -> Any:
    """`value` as AnsibleModule's type `kind` would make it."""
    if value is None or kind == "raw":
        return value
    if kind == "bool":
        if str(value).lower() in TRUE:
            return True
        if str(value).lower() in FALSE:
            return False
        raise Failure(f"argument '{name}' is of type {type(value).__name__} and we were unable "
                      f"to convert to bool: The value '{value}' is not a valid boolean.")
    if kind == "path":
        return os.path.expanduser(os.path.expandvars(str(value)))
    if kind == "list":
        return value if isinstance(value, list) else [p.strip() for p in str(value).split(",")]
    try:
        return {"str": str, "int": int, "float": float}[kind](value)
    except ValueError:
        raise Failure(f"argument '{name}' is of type {type(value).__name__} and we were unable "
                      f"to convert to {kind}: {value!r}") from None


def parse_args(raw: dict[str, Any], module: str, spec: dict[str, tuple[str, Any]],
               aliases: dict[str, str]) -> dict[str, Any]:
    """The parameters with aliases resolved, types converted and defaults filled."""
    given = {k: v for k, v in raw.items() if not k.startswith("_ansible_")}
    for alias, name in aliases.items():
        if alias in given:
            given.setdefault(name, given.pop(alias))
    unknown = sorted(set(given) - set(spec))
    if unknown:
        raise Failure(f"Unsupported parameters for ({module}) module: {', '.join(unknown)}. "
                      f"Supported parameters include: {', '.join(sorted([*spec, *aliases]))}.")
    missing = [n for n, (_, d) in spec.items() if d is REQUIRED and given.get(n) is None]
    if missing:
        raise Failure("missing required arguments: " + ", ".join(missing))
    return {n: convert(n, kind, given.get(n, None if d is REQUIRED else d))
            for n, (kind, d) in spec.items()}


def umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def symbolic_mode(text: str, current: int, isdir: bool) -> int:
    """A chmod-style symbolic mode (``u=rw,g+x,o-w``) applied to `current`."""
    mode = current
    for clause in text.split(","):
        match = re.fullmatch(r"([ugoa]*)((?:[-+=][rwxXst]*)+)", clause)
        if not match:
            raise ValueError(f"bad symbolic permission for mode: {clause}")
        users = match.group(1).replace("a", "ugo") or "ugo"
        for op, perms in re.findall(r"([-+=])([rwxXst]*)", match.group(2)):
            for user in users:
                bits = perm_bits(user, perms, mode, isdir)
                if not match.group(1):
                    bits &= ~umask()
                keep = {"u": 0o4700, "g": 0o2070, "o": 0o1007}[user]
                mode = {"=": (mode & ~keep) | bits, "+": mode | bits, "-": mode & ~bits}[op]
    return mode


def perm_bits(user: str, perms: str, mode: int, isdir: bool) -> int:
    shift = {"u": 6, "g": 3, "o": 0}[user]
    bits = 0
    for perm in perms:
        if perm in "rwx" or (perm == "X" and (isdir or mode & 0o111)):
            bits |= {"r": 4, "w": 2, "x": 1, "X": 1}[perm] << shift
        elif perm == "s" and user in "ug":
            bits |= 0o4000 if user == "u" else 0o2000
        elif perm == "t" and user == "o":
            bits |= 0o1000
    return bits


def wanted_mode(path: str, mode: Any) -> int:
    info = os.lstat(path)
    if isinstance(mode, int):
        return mode
    try:
        return int(str(mode), 8)
    except ValueError:
        pass
    try:
        return symbolic_mode(str(mode), st.S_IMODE(info.st_mode), st.S_ISDIR(info.st_mode))
    except ValueError as exc:
        raise Failure("mode must be in octal or symbolic form", path=path,
                      details=str(exc)) from None


def note(diff: dict[str, Any], key: str, before: Any, after: Any) -> None:
    diff.setdefault("before", {})[key] = before
    diff.setdefault("after", {})[key] = after


def lookup_id(kind: str, name: str, path: str) -> int:
    try:
        return int(name)
    except ValueError:
        pass
    try:
        return pwd.getpwnam(name).pw_uid if kind == "user" else grp.getgrnam(name).gr_gid
    except KeyError:
        verb = "chown" if kind == "user" else "chgrp"
        raise Failure(f"{verb} failed: failed to look up {kind} {name}", path=path) from None


def set_attributes(path: str, params: dict[str, Any], diff: dict[str, Any],
                   check: bool) -> bool:
    """Give `path` the wanted owner, group and mode; whether anything (would) change."""
    refused = [n for n in ("attributes", "seuser", "serole", "setype", "selevel")
               if params.get(n)]
    if refused:  # never silently ignored
        raise Failure(f"{', '.join(refused)}: not supported by miniplay (chattr/SELinux)")
    wanted = [n for n in ("owner", "group", "mode") if params.get(n) is not None]
    if not wanted or (check and not os.path.lexists(path)):
        return bool(wanted)
    changed = False
    info = os.lstat(path)
    for kind, key, now in (("user", "owner", info.st_uid), ("group", "group", info.st_gid)):
        if params.get(key) is not None:
            new = lookup_id(kind, str(params[key]), path)
            if new != now:
                note(diff, key, now, new)
                changed = True
                if not check:
                    os.lchown(path, new if kind == "user" else -1, new if kind == "group" else -1)
    if params.get("mode") is not None:
        mode, now = wanted_mode(path, params["mode"]), st.S_IMODE(info.st_mode)
        if mode != now:
            note(diff, "mode", f"0{now:03o}", f"0{mode:03o}")
            changed = True
            if not check and not st.S_ISLNK(info.st_mode):
                os.chmod(path, mode)
    return changed


def path_info(result: dict[str, Any]) -> dict[str, Any]:
    """Add what AnsibleModule adds about the result's path: owner, mode, state, size."""
    path = result.get("path", result.get("dest"))
    if path is None or not os.path.exists(path):
        return result
    info = os.lstat(path)
    owner = {"uid": info.st_uid, "gid": info.st_gid}
    try:
        owner["owner"] = pwd.getpwuid(info.st_uid).pw_name
    except KeyError:
        owner["owner"] = str(info.st_uid)
    try:
        owner["group"] = grp.getgrgid(info.st_gid).gr_name
    except KeyError:
        owner["group"] = str(info.st_gid)
    kind = ("link" if st.S_ISLNK(info.st_mode) else "directory" if st.S_ISDIR(info.st_mode)
            else "hard" if os.stat(path).st_nlink > 1 else "file")
    result.update(owner, mode=f"0{st.S_IMODE(info.st_mode):03o}", state=kind, size=info.st_size)
    return result


def temp_file(directory: str, prefix: str = ".miniplay-") -> tuple[int, str]:
    """A new private file in `directory` (not `tempfile`: modules/tempfile.py shadows it
    when a module is run as a script from modules/)."""
    while True:
        path = os.path.join(directory, prefix + os.urandom(6).hex())
        try:
            return os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600), path
        except FileExistsError:
            continue


def atomic_write(path: str, data: bytes) -> None:
    """Replace `path` with `data` via a temp file and rename; keeps an old file's mode."""
    directory = os.path.dirname(os.path.abspath(path))
    old = os.stat(path) if os.path.exists(path) else None
    fd, tmp = temp_file(directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        if old is not None:
            os.chmod(tmp, st.S_IMODE(old.st_mode))
            os.chown(tmp, old.st_uid, old.st_gid)
        else:
            os.chmod(tmp, 0o666 & ~umask())
        os.rename(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def backup_file(path: str) -> str:
    """Copy `path` to ``path.PID.YYYY-MM-DD@HH:MM:SS~`` as Ansible does; the copy's name."""
    name = f"{path}.{os.getpid()}.{time.strftime('%Y-%m-%d@%H:%M:%S~')}"
    shutil.copy2(path, name)
    return name


def emit(result: dict[str, Any], raw: dict[str, Any]) -> None:
    """Print the result (diff only in diff mode) with the invocation echo."""
    if not raw.get("_ansible_diff"):
        result.pop("diff", None)
    path_info(result)
    result["invocation"] = {"module_args": {k: v for k, v in raw.items()
                                            if not k.startswith("_ansible_")}}
    print(json.dumps(result))
# --- common: end ---


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
