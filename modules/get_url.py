#!/usr/bin/env python3
"""get_url: download a URL to a file on the host, only when it is missing or different.

Takes (one JSON object on stdin): ``url``, ``dest`` (a file, or a directory to put the
URL's file name in), ``checksum`` (``algorithm:hex``), ``force``, ``headers``,
``timeout`` (10), ``url_username``/``url_password`` with ``force_basic_auth``,
``validate_certs``, ``backup``, ``mode``/``owner``/``group``.
Gives (one JSON object on stdout): ansible-core 2.19's get_url result: ``changed``,
``dest``, ``url``, ``msg`` ("OK (N bytes)" or "file already exists"), ``status_code``,
``checksum_src``/``checksum_dest``, ``md5sum``, ``elapsed``, file attributes. Raises:
nothing; HTTP errors ("Request failed") and checksum mismatches are failed results.

Idempotent: with a matching ``checksum`` nothing is fetched; otherwise an existing
file is sent If-Modified-Since and replaced only when the bytes differ. Check mode
sends HEAD and writes nothing. Standard library only, Python >= 3.8.
"""

from __future__ import annotations

import base64
import email.utils
import grp
import hashlib
import json
import os
import pwd
import re
import shutil
import ssl
import stat as st
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
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

SPEC = dict(FS_SPEC, url=("str", REQUIRED), dest=("path", REQUIRED), checksum=("str", ""),
            force=("bool", False), headers=("raw", None), timeout=("int", 10),
            url_username=("str", None), url_password=("str", None),
            force_basic_auth=("bool", False), validate_certs=("bool", True),
            backup=("bool", False), tmp_dest=("path", None), use_proxy=("bool", True))
ALIASES = {"username": "url_username", "password": "url_password", "attr": "attributes"}


def expected_checksum(p: dict[str, Any], result: dict[str, Any]) -> tuple[str, str]:
    if not p["checksum"]:
        return "", ""
    try:
        algorithm, value = p["checksum"].split(":", 1)
    except ValueError:
        raise Failure("The checksum parameter has to be in format <algorithm>:<checksum>",
                      **result) from None
    value = re.sub(r"\W+", "", value).lower()
    try:
        int(value, 16)
    except ValueError:
        raise Failure("The checksum format is invalid", **result) from None
    return algorithm, value


def digest(path: str, algorithm: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.new(algorithm, handle.read()).hexdigest()


def fetch(p: dict[str, Any], method: str, since: float | None) -> tuple[int, str, bytes, str]:
    """(status, message, body, final url) of one request."""
    headers = {str(k): str(v) for k, v in dict(p["headers"] or {}).items()}
    if since is not None:
        headers["If-Modified-Since"] = email.utils.formatdate(since, usegmt=True)
    if p["url_username"] is not None and p["force_basic_auth"]:
        pair = f"{p['url_username']}:{p['url_password'] or ''}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    context = None if p["validate_certs"] else ssl._create_unverified_context()
    request = urllib.request.Request(p["url"], headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=p["timeout"], context=context) as resp:
            body = resp.read()
            return resp.status, f"OK ({len(body)} bytes)", body, resp.geturl()
    except urllib.error.HTTPError as err:
        return err.code, f"HTTP Error {err.code}: {err.reason}", b"", p["url"]
    except (urllib.error.URLError, OSError, ValueError) as err:
        return -1, f"Request failed: {err}", b"", p["url"]


def target(p: dict[str, Any], final_url: str) -> str:
    if not os.path.isdir(p["dest"]):
        return p["dest"]
    name = os.path.basename(urllib.parse.urlsplit(final_url).path) or "index.html"
    return os.path.join(p["dest"], name)


def already_there(p: dict[str, Any], algorithm: str, value: str, check: bool,
                  result: dict[str, Any]) -> dict[str, Any] | None:
    dest = p["dest"]
    if os.path.isdir(dest) or not os.path.exists(dest) or p["force"] or not value:
        return None
    if digest(dest, algorithm) != value:
        return None
    changed = set_attributes(dest, p, {}, check)
    msg = "file already exists but file attributes changed" if changed else "file already exists"
    return dict(result, changed=changed, msg=msg)


def run(raw: dict[str, Any]) -> dict[str, Any]:
    check = bool(raw.get("_ansible_check_mode"))
    p = parse_args(raw, "get_url", SPEC, ALIASES)
    result: dict[str, Any] = {"url": p["url"], "dest": p["dest"], "elapsed": 0}
    algorithm, value = expected_checksum(p, result)
    done = already_there(p, algorithm, value, check, result)
    if done is not None:
        return done
    exists = os.path.isfile(p["dest"])
    since = os.path.getmtime(p["dest"]) if exists and not p["force"] and not value else None
    start = time.monotonic()
    status, msg, body, final = fetch(p, "HEAD" if check else "GET", since)
    result["elapsed"] = int(time.monotonic() - start)
    if status == 304:
        return dict(result, changed=False, msg=msg)
    if status < 200 or status >= 300:
        raise Failure("Request failed", status_code=status, response=msg, **result)
    dest = result["dest"] = target(p, final)
    if not os.path.isdir(os.path.dirname(dest) or "."):
        raise Failure(f"Destination {os.path.dirname(dest)} does not exist", **result)
    result["checksum_src"] = hashlib.sha1(body).hexdigest()
    if os.path.isfile(dest):
        result["checksum_dest"] = digest(dest, "sha1")
    if check:
        return dict(result, msg=msg, changed=result["checksum_src"] != result.get("checksum_dest"))
    if value and hashlib.new(algorithm, body).hexdigest() != value:
        got = hashlib.new(algorithm, body).hexdigest()
        raise Failure(f"The checksum for {dest} did not match {value}; it was {got}.", **result)
    changed = result["checksum_src"] != result.get("checksum_dest")
    if changed:
        if p["backup"] and os.path.exists(dest):
            result["backup_file"] = backup_file(dest)
        atomic_write(dest, body)
    changed = set_attributes(dest, p, {}, False) or changed
    return dict(result, changed=changed, msg=msg, status_code=status,
                md5sum=hashlib.md5(body).hexdigest())


def main() -> None:
    raw = json.load(sys.stdin)
    try:
        result = run(raw)
    except Failure as failure:
        result = failure.result
    except (OSError, ValueError) as exc:
        result = {"failed": True, "msg": str(exc)}
    if raw.get("url_password") or raw.get("password"):
        raw = dict(raw, url_password="VALUE_SPECIFIED_IN_NO_LOG_PARAMETER")
        raw.pop("password", None)
    emit(result, raw)


if __name__ == "__main__":
    main()
