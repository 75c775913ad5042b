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
import hashlib
import json
import os
import re
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
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
)

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
