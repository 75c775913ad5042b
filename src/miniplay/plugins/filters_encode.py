"""Ansible's encoding filters: base64, hashes, UUIDs, URLs; and the ones refused by name.

Takes: text (any value is turned into text first, as ansible-core's `to_bytes` does).
Gives: text, or a dict for `urlsplit`. Raises: `TemplateError` for an unknown hash type,
an unknown URL component, and for `vault`, `unvault` and `password_hash`, which miniplay
does not build (no Ansible Vault; no password-hashing library) — refused by name, never
run with another meaning.
"""

from __future__ import annotations

import base64
import hashlib
import urllib.parse
import uuid
from collections.abc import Callable
from typing import Any

from miniplay.errors import TemplateError

ANSIBLE_NAMESPACE = uuid.UUID("361E6D51-FAEC-444A-9079-341386DA8E2E")
"""The namespace ansible-core's `to_uuid` uses by default (so UUIDs are the same)."""

NOT_BUILT: dict[str, str] = {
    "vault": "miniplay has no Ansible Vault support",
    "unvault": "miniplay has no Ansible Vault support",
    "password_hash": "miniplay does not hash passwords (Ansible needs passlib or crypt)",
}
"""Filters ansible-core ships that miniplay refuses by name, and why."""

_URL_PARTS = ("fragment", "hostname", "netloc", "password", "path", "port", "query",
              "scheme", "username")


def _bytes(value: Any, encoding: str = "utf-8") -> bytes:
    if isinstance(value, bytes):
        return value
    return str(value).encode(encoding, errors="surrogateescape")


def b64encode(value: Any, encoding: str = "utf-8", urlsafe: bool = False) -> str:
    """Base64 of the text's bytes in `encoding`."""
    data = _bytes(value, encoding)
    encoded = base64.urlsafe_b64encode(data) if urlsafe else base64.b64encode(data)
    return encoded.decode("ascii")


def b64decode(value: Any, encoding: str = "utf-8", urlsafe: bool = False) -> str:
    """Text decoded from base64, read in `encoding`."""
    data = _bytes(value)
    decoded = base64.urlsafe_b64decode(data) if urlsafe else base64.b64decode(data)
    return decoded.decode(encoding, errors="surrogateescape")


def get_hash(value: Any, hashtype: str = "sha1") -> str:
    """Hex digest of the text with any hashlib algorithm."""
    try:
        digest = hashlib.new(hashtype)
    except (ValueError, TypeError) as exc:
        raise TemplateError(str(exc)) from None
    digest.update(_bytes(value))
    return digest.hexdigest()


def to_uuid(value: Any, namespace: Any = ANSIBLE_NAMESPACE) -> str:
    """A name-based (version 5) UUID of the text in `namespace`."""
    space = namespace
    if not isinstance(space, uuid.UUID):
        try:
            space = uuid.UUID(namespace)
        except (AttributeError, ValueError, TypeError) as exc:
            raise TemplateError(f"Invalid value '{namespace}' for 'namespace': {exc}") from None
    return str(uuid.uuid5(space, str(value)))


def urldecode(value: Any) -> str:
    """`%xx` escapes and `+` decoded (`unquote_plus`)."""
    return urllib.parse.unquote_plus(str(value))


def urlsplit(value: Any, query: str = "") -> Any:
    """The URL's parts as a dict, or the one part named by `query`."""
    parts = urllib.parse.urlsplit(str(value))
    table = {name: getattr(parts, name) for name in _URL_PARTS}
    if not query:
        return table
    if query not in table:
        raise TemplateError(f"urlsplit: unknown URL component: {query}")
    return table[query]


def _refused(name: str) -> Callable[..., Any]:
    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise TemplateError(f"the '{name}' filter is not supported: {NOT_BUILT[name]}")
    return refuse


def encode_filters() -> dict[str, Callable[..., Any]]:
    """Name → function for the filters in this file."""
    return {
        "b64encode": b64encode, "b64decode": b64decode, "hash": get_hash,
        "md5": lambda value: get_hash(value, "md5"),
        "sha1": lambda value: get_hash(value, "sha1"),
        "checksum": lambda value: get_hash(value, "sha1"),
        "to_uuid": to_uuid, "urldecode": urldecode, "urlsplit": urlsplit,
        **{name: _refused(name) for name in NOT_BUILT},
    }
