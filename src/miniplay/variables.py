"""Per-host variable scopes in Ansible's precedence order, templated lazily.

Takes: layers of variables (low → high precedence) and a templar. Gives: `VarScope`, a
read-only mapping that renders a templated value (``n: "{{ t }}-x"``) when it is read,
against the same scope, as Ansible does; `HostVars` (the `hostvars` magic variable);
`parse_extra_vars` for `-e`. Raises: `TemplateError` (from the templar) when a value
does not render, `OptionsError` for a bad `-e`.

Layers, low → high (built by the executor): inventory group and host vars
(`Inventory.var_layers`), facts, play `vars` < `vars_files`, block < task `vars`,
`include_vars`, registered results and `set_fact`, extra vars `-e`, then the magic
variables, then loop variables. Values returned by hosts are `UnsafeText` and are never
rendered.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from miniplay.errors import MiniplayError, OptionsError, TemplateError, UsageError
from miniplay.loader import load_file, plain
from miniplay.unsafe import UnsafeText


class Renderer(Protocol):
    """The part of the templar a scope needs."""

    def is_template(self, value: Any) -> bool: ...

    def render(self, value: Any, variables: Mapping[str, Any], pos: Any = None) -> Any: ...


def _has_template(renderer: Renderer, value: Any) -> bool:
    if isinstance(value, str):
        return not isinstance(value, UnsafeText) and renderer.is_template(value)
    if isinstance(value, dict):
        return any(_has_template(renderer, item) for item in value.values())
    if isinstance(value, list):
        return any(_has_template(renderer, item) for item in value)
    return False


class VarScope(Mapping[str, Any]):
    """One host's variables for one task: layered, rendered on read, cached per scope."""

    def __init__(self, layers: Sequence[Mapping[str, Any]], renderer: Renderer) -> None:
        self._layers = tuple(layers)
        self._renderer = renderer
        self._cache: dict[str, Any] = {}
        self._rendering: set[str] = set()

    def raw(self, key: str) -> Any:
        """The value as written, before templating (KeyError when undefined)."""
        for layer in reversed(self._layers):
            if key in layer:
                return layer[key]
        raise KeyError(key)

    def __getitem__(self, key: str) -> Any:
        if key in self._cache:
            return self._cache[key]
        value = self.raw(key)
        if _has_template(self._renderer, value):
            if key in self._rendering:
                raise TemplateError(
                    f"Recursive loop detected in template: '{key}' refers to itself",
                    hint=f"give `{key}` a value that does not use `{key}`",
                )
            self._rendering.add(key)
            try:
                value = self._renderer.render(value, self)
            finally:
                self._rendering.discard(key)
        self._cache[key] = value
        return value

    def __contains__(self, key: object) -> bool:
        return any(key in layer for layer in self._layers)

    def __iter__(self) -> Iterator[str]:
        seen: dict[str, None] = {}
        for layer in self._layers:
            seen.update(dict.fromkeys(layer))
        return iter(seen)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def child(self, *layers: Mapping[str, Any]) -> VarScope:
        """This scope with `layers` on top (loop variables, `failed_when` bindings)."""
        return VarScope(self._layers + tuple(layers), self._renderer)


class HostVars(Mapping[str, Any]):
    """`hostvars`: every host's scope (inventory, facts, set_fact, -e; no play vars)."""

    def __init__(self, hosts: Sequence[str], scope_of: Callable[[str], VarScope]) -> None:
        self._hosts = tuple(hosts)
        self._scope_of = scope_of
        self._cache: dict[str, VarScope] = {}

    def __getitem__(self, host: str) -> VarScope:
        if host not in self._hosts:
            raise KeyError(host)
        if host not in self._cache:
            self._cache[host] = self._scope_of(host)
        return self._cache[host]

    def __iter__(self) -> Iterator[str]:
        return iter(self._hosts)

    def __len__(self) -> int:
        return len(self._hosts)


def parse_extra_vars(values: Sequence[str], base_dir: str = ".") -> dict[str, Any]:
    """Merge `-e` values in order: ``k=v`` (strings), JSON/YAML mappings, ``@file``."""
    merged: dict[str, Any] = {}
    for value in values:
        merged.update(_one_extra(value.strip(), base_dir))
    return merged


def _one_extra(value: str, base_dir: str) -> dict[str, Any]:
    if value.startswith("@"):
        path = Path(value[1:]).expanduser()
        if not path.is_absolute():
            path = Path(base_dir) / path
        if not path.is_file():
            raise UsageError(f"the extra vars file {value[1:]} could not be found",
                             hint="-e @FILE takes a path to a YAML or JSON file")
        return _as_mapping(plain(load_file(path).data), value)
    if value.startswith(("{", "[")):
        try:
            return _as_mapping(json.loads(value), value)
        except json.JSONDecodeError:
            from miniplay.loader import loads  # YAML flow style: {a: 1}

            try:
                return _as_mapping(plain(loads(value, "<extra vars>")), value)
            except MiniplayError as exc:
                raise OptionsError(f"invalid extra vars {value!r}: {exc.message}") from None
    from miniplay import kv

    pairs: dict[str, Any] = {}
    for part in kv.parse(value):
        if part.key is None:
            raise OptionsError(f"invalid extra vars {value!r}: "
                               f"`{part.text.strip()}` is not key=value",
                               hint='use -e key=value, -e \'{"key": 1}\' or -e @file.yml')
        pairs[part.name] = part.value
    return pairs


def _as_mapping(data: Any, value: str) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise OptionsError(f"extra vars must be a mapping: {value!r}")
    return data
