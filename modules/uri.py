#!/usr/bin/env python3
"""uri: make an HTTP(S) request from the host and check the status code.

Takes (one JSON object on stdin): ``url``, ``method`` (GET), ``body``, ``body_format``
(``raw``/``json``/``form-urlencoded``), ``headers``, ``status_code`` (list, [200]),
``return_content``, ``timeout`` (30), ``url_username``/``url_password`` (aliases
``user``/``password``) with ``force_basic_auth``, ``follow_redirects``,
``validate_certs``, ``dest``, ``creates``/``removes``.
Gives (one JSON object on stdout): ansible-core 2.19's uri result: ``status``, ``url``,
``msg`` ("OK (N bytes)"), ``redirected``, ``elapsed``, ``cookies``, every response
header (lower case, ``-`` as ``_``), ``json`` for JSON bodies, ``content`` with
``return_content``; a status outside ``status_code`` is a failed result ("Status code
was 404 and not [200]: HTTP Error 404: Not Found"), an unreachable server has
``status: -1``. Raises: nothing.

Read-only unless ``dest`` is given, so check mode runs the request. Standard library
only (urllib), Python >= 3.8.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

TRUE = ("1", "true", "yes", "on", "y", "t")
DEFAULTS: dict[str, Any] = {
    "url": None, "method": "GET", "body": None, "body_format": "raw", "headers": {},
    "status_code": [200], "return_content": False, "timeout": 30, "url_username": None,
    "url_password": None, "force_basic_auth": False, "follow_redirects": "safe",
    "validate_certs": True, "dest": None, "creates": None, "removes": None}
ALIASES = {"user": "url_username", "password": "url_password"}
JSON_TYPES = ("json", "javascript")


class Failure(Exception):
    """Ends the module with a failed result."""


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any) -> None:
        return None


def params_of(raw: dict[str, Any]) -> dict[str, Any]:
    given = {ALIASES.get(k, k): v for k, v in raw.items() if not k.startswith("_ansible_")}
    unknown = sorted(set(given) - set(DEFAULTS))
    if unknown:
        raise Failure(f"Unsupported parameters for (uri) module: {', '.join(unknown)}. "
                      f"Supported parameters include: {', '.join(sorted(DEFAULTS))}.")
    p = dict(DEFAULTS, **{k: v for k, v in given.items() if v is not None})
    if not p["url"]:
        raise Failure("missing required arguments: url")
    codes = p["status_code"]
    codes = codes if isinstance(codes, list) else str(codes).split(",")
    p["status_code"] = [int(code) for code in codes]
    for name in ("return_content", "force_basic_auth", "validate_certs"):
        p[name] = str(p[name]).lower() in TRUE
    return p


def encode_body(p: dict[str, Any], headers: dict[str, str]) -> bytes | None:
    body, kind = p["body"], p["body_format"]
    names = {h.lower() for h in headers}
    if body is None:
        return None
    if kind == "json":
        if "content-type" not in names:
            headers["Content-Type"] = "application/json"
        return (body if isinstance(body, str) else json.dumps(body)).encode("utf-8")
    if kind == "form-urlencoded":
        if "content-type" not in names:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        return (body if isinstance(body, str) else urllib.parse.urlencode(body)).encode()
    return body.encode("utf-8") if isinstance(body, str) else json.dumps(body).encode()


def opener(p: dict[str, Any]) -> urllib.request.OpenerDirector:
    handlers: list[Any] = []
    if not p["validate_certs"]:
        handlers.append(urllib.request.HTTPSHandler(context=ssl._create_unverified_context()))
    if str(p["follow_redirects"]).lower() in ("none", "no", "false"):
        handlers.append(NoRedirect())
    return urllib.request.build_opener(*handlers)


def request(p: dict[str, Any]) -> tuple[dict[str, Any], bytes, str]:
    """Response info (status, msg, url, headers), the body, and its content type."""
    headers = {str(k): str(v) for k, v in dict(p["headers"]).items()}
    data = encode_body(p, headers)
    if p["url_username"] is not None and p["force_basic_auth"]:
        pair = f"{p['url_username']}:{p['url_password'] or ''}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    req = urllib.request.Request(p["url"], data=data, headers=headers,
                                 method=str(p["method"]).upper())
    try:
        with opener(p).open(req, timeout=p["timeout"]) as resp:
            body = resp.read()
            info: dict[str, Any] = {"status": resp.status, "url": resp.geturl(),
                                    "msg": f"OK ({len(body)} bytes)"}
            raw_headers = resp.headers
    except urllib.error.HTTPError as err:
        body = err.read()
        info = {"status": err.code, "url": p["url"], "msg": f"HTTP Error {err.code}: {err.reason}"}
        raw_headers = err.headers
    except (urllib.error.URLError, OSError, ValueError) as err:
        return {"status": -1, "url": p["url"], "msg": f"Request failed: {err}"}, b"", ""
    info.update({k.lower(): v for k, v in raw_headers.items()})
    return info, body, raw_headers.get("Content-Type", "")


def run(p: dict[str, Any]) -> dict[str, Any]:
    if p["creates"] and os.path.exists(p["creates"]):
        return {"stdout": f"skipped, since '{p['creates']}' exists", "changed": False}
    if p["removes"] and not os.path.exists(p["removes"]):
        return {"stdout": f"skipped, since '{p['removes']}' does not exist", "changed": False}
    start = time.monotonic()
    info, body, kind = request(p)
    result = {k.replace("-", "_").lower(): v for k, v in info.items()}
    result.update(redirected=info["url"] != p["url"], elapsed=int(time.monotonic() - start),
                  changed=False, cookies={}, cookies_string="")
    text = body.decode("utf-8", "replace")
    if any(t in kind.split(";")[0].lower() for t in JSON_TYPES):
        with contextlib.suppress(ValueError):
            result["json"] = json.loads(text)
    if p["dest"] and result["status"] in p["status_code"]:
        with open(p["dest"], "wb") as handle:
            handle.write(body)
        result.update(changed=True, path=p["dest"])
    if p["return_content"]:
        result["content"] = text
    if result["status"] not in p["status_code"]:
        result.update(failed=True, msg=f"Status code was {result['status']} and not "
                                       f"{p['status_code']}: {result['msg']}")
    return result


def main() -> None:
    raw = json.load(sys.stdin)
    try:
        result = run(params_of(raw))
    except Failure as exc:
        result = {"failed": True, "msg": str(exc)}
    except (ValueError, TypeError) as exc:
        result = {"failed": True, "msg": f"bad arguments: {exc}"}
    args = {k: v for k, v in raw.items() if not k.startswith("_ansible_")}
    if "url_password" in args or "password" in args:
        args = {k: ("VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" if k in ("url_password", "password")
                    else v) for k, v in args.items()}
    result["invocation"] = {"module_args": args}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
