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

import grp
import json
import os
import pwd
import re
import shutil
import stat as st
import subprocess
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
