#!/usr/bin/env python3
"""stat: report what a path is (exists, kind, size, mode, owner, times, checksum).

Takes (one JSON object on stdin): ``path`` (aliases ``dest``, ``name``), ``follow``
(false), ``get_checksum`` (true), ``checksum_algorithm`` (``sha1``; aliases ``checksum``,
``checksum_algo``), ``get_mime`` (true), ``get_attributes`` (true).
Gives (one JSON object on stdout): ``{"changed": false, "stat": {...}}`` with
ansible-core 2.19's keys: ``exists``, ``path``, ``mode`` ("0644"), ``isdir``/``isreg``/
``islnk``/..., ``uid``, ``gid``, ``pw_name``, ``gr_name``, ``size``, ``mtime``, ``atime``,
``ctime``, permission booleans, ``checksum``, ``mimetype``/``charset``, ``attributes``;
``{"exists": false}`` for a missing path. Raises: nothing; errors are failed results.

Never changes anything, so check mode is the same run. Standard library only, Python
>= 3.8; ``file`` and ``lsattr`` are used when the host has them, as Ansible does.
"""

from __future__ import annotations

import contextlib
import grp
import hashlib
import json
import os
import pwd
import shutil
import stat as st
import subprocess
import sys
from typing import Any

TRUE = ("1", "true", "yes", "on", "y", "t")
ALGORITHMS = ("md5", "sha1", "sha224", "sha256", "sha384", "sha512")
ALIASES = {"dest": "path", "name": "path", "checksum": "checksum_algorithm",
           "checksum_algo": "checksum_algorithm", "mime": "get_mime", "mime_type": "get_mime",
           "mime-type": "get_mime", "attr": "get_attributes", "attributes": "get_attributes"}
DEFAULTS = {"path": None, "follow": False, "get_checksum": True, "get_mime": True,
            "get_attributes": True, "checksum_algorithm": "sha1"}
FLAGS = {"A": "noatime", "a": "append", "c": "compressed", "C": "nocow", "d": "nodump",
         "D": "dirsync", "e": "extents", "E": "encrypted", "h": "blocksize", "i": "immutable",
         "I": "indexed", "j": "journalled", "N": "inline", "s": "zero", "S": "synchronous",
         "t": "notail", "T": "blockroot", "u": "undelete", "X": "compressedraw",
         "Z": "compresseddirty"}
BITS = {"wusr": st.S_IWUSR, "rusr": st.S_IRUSR, "xusr": st.S_IXUSR, "wgrp": st.S_IWGRP,
        "rgrp": st.S_IRGRP, "xgrp": st.S_IXGRP, "woth": st.S_IWOTH, "roth": st.S_IROTH,
        "xoth": st.S_IXOTH, "isuid": st.S_ISUID, "isgid": st.S_ISGID}
KINDS = {"isdir": st.S_ISDIR, "ischr": st.S_ISCHR, "isblk": st.S_ISBLK, "isreg": st.S_ISREG,
         "isfifo": st.S_ISFIFO, "islnk": st.S_ISLNK, "issock": st.S_ISSOCK}
EXTRA = (("st_blocks", "blocks"), ("st_blksize", "block_size"), ("st_rdev", "device_type"),
         ("st_flags", "flags"), ("st_gen", "generation"), ("st_birthtime", "birthtime"))


class Failure(Exception):
    """Ends the module with a failed result."""


def params_of(raw: dict[str, Any]) -> dict[str, Any]:
    given = {ALIASES.get(k, k): v for k, v in raw.items() if not k.startswith("_ansible_")}
    unknown = sorted(set(given) - set(DEFAULTS))
    if unknown:
        raise Failure(f"Unsupported parameters for (stat) module: {', '.join(unknown)}. "
                      f"Supported parameters include: {', '.join(sorted(DEFAULTS))}.")
    params = dict(DEFAULTS, **given)
    if params["path"] is None:
        raise Failure("missing required arguments: path")
    params["path"] = os.path.expanduser(os.path.expandvars(str(params["path"])))
    for name in ("follow", "get_checksum", "get_mime", "get_attributes"):
        params[name] = str(params[name]).lower() in TRUE
    if params["checksum_algorithm"] not in ALGORITHMS:
        raise Failure("value of checksum_algorithm must be one of: " + ", ".join(ALGORITHMS)
                      + f", got: {params['checksum_algorithm']}")
    return params


def describe(path: str, info: os.stat_result) -> dict[str, Any]:
    """The stat fields every existing path has."""
    mode = info.st_mode
    out: dict[str, Any] = {"exists": True, "path": path, "mode": f"{st.S_IMODE(mode):04o}"}
    out.update({name: test(mode) for name, test in KINDS.items()})
    out.update(uid=info.st_uid, gid=info.st_gid, size=info.st_size, inode=info.st_ino,
               dev=info.st_dev, nlink=info.st_nlink, atime=info.st_atime,
               mtime=info.st_mtime, ctime=info.st_ctime)
    out.update({name: bool(mode & bit) for name, bit in BITS.items()})
    out.update({key: getattr(info, attr) for attr, key in EXTRA if hasattr(info, attr)})
    for key, flag in (("readable", os.R_OK), ("writeable", os.W_OK), ("executable", os.X_OK)):
        out[key] = os.access(path, flag)
    if out["islnk"]:
        out.update(lnk_source=os.path.realpath(path), lnk_target=os.readlink(path))
    with contextlib.suppress(KeyError):
        out["pw_name"] = pwd.getpwuid(info.st_uid).pw_name
    with contextlib.suppress(KeyError):
        out["gr_name"] = grp.getgrgid(info.st_gid).gr_name
    return out


def digest(path: str, algorithm: str) -> str:
    hasher = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(65536), b""):
            hasher.update(block)
    return hasher.hexdigest()


def tool(argv: list[str]) -> str | None:
    """A helper program's stdout, or None when it is missing or fails."""
    if shutil.which(argv[0]) is None:
        return None
    proc = subprocess.run(argv, capture_output=True, check=False)
    return proc.stdout.decode("utf-8", "replace") if proc.returncode == 0 else None


def mime(path: str) -> dict[str, str]:
    out = tool(["file", "--mime-type", "--mime-encoding", path])
    try:
        kind, charset = out.rsplit(":", 1)[1].split(";")  # type: ignore[union-attr]
        return {"mimetype": kind.strip(), "charset": charset.split("=")[1].strip()}
    except (AttributeError, IndexError, ValueError):
        return {"mimetype": "unknown", "charset": "unknown"}


def attributes(path: str) -> dict[str, Any]:
    result: dict[str, Any] = {"version": None, "attributes": [], "attr_flags": ""}
    out = tool(["lsattr", "-vd", path])
    if out:
        parts = out.split()
        flags = parts[1].replace("-", "").strip()
        result.update(version=parts[0].strip(), attr_flags=flags,
                      attributes=[FLAGS[f] for f in flags if f in FLAGS])
    return result


def run(params: dict[str, Any]) -> dict[str, Any]:
    path = params["path"]
    try:
        info = os.stat(path) if params["follow"] else os.lstat(path)
    except FileNotFoundError:
        return {"changed": False, "stat": {"exists": False}}
    except OSError as exc:
        raise Failure(exc.strerror) from None
    out = describe(path, info)
    if out["isreg"] and out["readable"] and params["get_checksum"]:
        out["checksum"] = digest(path, params["checksum_algorithm"])
    if params["get_mime"]:
        out.update(mime(path))
    if params["get_attributes"]:
        out.update(attributes(path))
    return {"changed": False, "stat": out}


def main() -> None:
    raw = json.load(sys.stdin)
    try:
        result = run(params_of(raw))
    except Failure as exc:
        result = {"failed": True, "msg": str(exc)}
    result["invocation"] = {"module_args": {k: v for k, v in raw.items()
                                            if not k.startswith("_ansible_")}}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
