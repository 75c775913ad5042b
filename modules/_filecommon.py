"""Helpers shared by the file modules (copy, file, lineinfile, blockinfile, replace,
get_url): argument conversion as AnsibleModule does it, modes, owner and group, atomic
writes, diffs and the result printer.

Takes/Gives: plain functions and constants; see each docstring. Raises: `Failure`, which
a module's main turns into a failed result.

Why a separate file that is never sent alone: a module travels to the host as one file.
Each file module imports these names with a line marked ``# miniplay: inline``; run from
this directory (tests, a user reading the code) that is a normal import, and when
miniplay sends the module it puts this file's text in place of that import
(`miniplay.runner.inline_helpers`). Standard library only, Python >= 3.8.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import re
import shutil
import stat as st
import time
from typing import Any

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
