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
