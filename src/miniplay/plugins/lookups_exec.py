"""Lookups that run commands or keep state on the controller: pipe, lines, password.

Takes: terms (shell commands, or a password file path with inline `k=v` options), the
`LookupCall` (commands run in the playbook's folder) and options. Gives: command output
(one value per command for pipe, one per line for lines), or a password read from its
file or generated and saved there. Raises: `LookupFailure` with ansible-core's wording;
`encrypt=` (password hashing, which needs passlib or crypt) is refused by name.

Lookups run synchronously while a template renders, as in ansible-core.
"""

from __future__ import annotations

import contextlib
import os
import random
import string
import subprocess
from typing import Any

from miniplay import kv
from miniplay.errors import MiniplayError
from miniplay.plugins.lookups_base import (
    LookupCall,
    LookupFailure,
    LookupSpec,
    NotBuilt,
    as_int,
)


def _shell(command: str, call: LookupCall, name: str) -> bytes:
    done = subprocess.run(command, shell=True, cwd=call.base_dir, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, check=False)
    if done.returncode != 0:
        raise LookupFailure(f"lookup_plugin.{name}({command}) returned {done.returncode}")
    return done.stdout


def _pipe(terms: list[Any], call: LookupCall, options: dict[str, Any]) -> list[Any]:
    return [_shell(str(term), call, "pipe").decode("utf-8").rstrip() for term in terms]


def _lines(terms: list[Any], call: LookupCall, options: dict[str, Any]) -> list[Any]:
    results: list[Any] = []
    for term in terms:
        results.extend(line.decode("utf-8", errors="surrogateescape")
                       for line in _shell(str(term), call, "lines").splitlines())
    return results


PASSWORD_DEFAULTS: dict[str, Any] = {"encrypt": None, "ident": None, "length": 20,
                                     "chars": ["ascii_letters", "digits", ".,:-_"],
                                     "seed": None}


def _password_params(term: str, options: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The file path and the options of one term (`path length=8 chars=digits`)."""
    relpath, _, rest = term.partition(" ")
    params = dict(options)
    if rest:
        try:
            parts = kv.parse(rest)
        except MiniplayError as exc:
            raise LookupFailure(exc.message) from None
        free = [part.text for part in parts if part.key is None]
        if free:
            relpath = " ".join([relpath, *free])
            if not term.startswith(relpath):
                raise LookupFailure("Unrecognized value after key=value parameters given to "
                                    "password lookup")
        given = {part.name: part.value for part in parts if part.key is not None}
        invalid = sorted(set(given) - set(PASSWORD_DEFAULTS))
        if invalid:
            raise LookupFailure("Unrecognized parameter(s) given to password lookup: "
                                + ", ".join(invalid))
        params.update(given)
    chars = params["chars"]
    if isinstance(chars, str):
        listed = [","] if ",," in chars else []
        listed.extend(part for part in chars.replace(",,", ",").split(",") if part)
        params["chars"] = listed
    return relpath, params


def _candidates(specs: list[Any]) -> str:
    text = "".join(str(getattr(string, str(spec), spec)) for spec in specs)
    return text.replace('"', "").replace("'", "")


def _split_content(content: str) -> tuple[str, str | None, str | None]:
    """A password file's `password salt=... ident=...` parts."""
    password, salt, ident = content, None, None
    head, found, rest = content.rpartition(" salt=")
    if found:
        password = head
        salt, found, ident_part = rest.rpartition(" ident=")
        if not found:
            salt, ident_part = rest, ""
        ident = ident_part or None
    return password, salt, ident


def _password(terms: list[Any], call: LookupCall, options: dict[str, Any]) -> list[Any]:
    results: list[Any] = []
    for term in map(str, terms):
        relpath, params = _password_params(term, options)
        if params["encrypt"]:
            raise NotBuilt(f"the password lookup option encrypt={params['encrypt']} is "
                                "not built in miniplay (it needs a password hashing library)")
        path = os.path.join(call.base_dir, os.path.expanduser(relpath))
        content = None
        if os.path.exists(path) and path != "/dev/null":
            with open(path, encoding="utf-8") as handle:
                content = handle.read().rstrip()
        if content is None:
            seed = params["seed"]
            generator = random.SystemRandom() if seed is None else random.Random(seed)
            chars = _candidates(params["chars"])
            password = "".join(generator.choice(chars)
                               for _ in range(as_int("length", params["length"], "password")))
            if path != "/dev/null":
                os.makedirs(os.path.dirname(path) or ".", mode=0o700, exist_ok=True)
                with open(path, "w", encoding="utf-8") as handle:
                    with contextlib.suppress(OSError):
                        os.chmod(path, 0o600)
                    handle.write(password + "\n")
        else:
            password, _, ident = _split_content(content)
            if params["ident"] and ident and ident != params["ident"]:
                raise LookupFailure(f"The ident parameter provided ({params['ident']}) does "
                                    f"not match the stored one ({ident}).")
        results.append(password)
    return results


EXEC_LOOKUPS: dict[str, LookupSpec] = {
    "pipe": LookupSpec(_pipe),
    "lines": LookupSpec(_lines),
    "password": LookupSpec(_password, PASSWORD_DEFAULTS),
}
