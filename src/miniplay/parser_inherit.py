"""Keywords that flow from a play, block or import onto the tasks inside, and the
readers of keyword values the parser shares.

Takes: loaded play/block/task mappings (`YamlMap`). Gives: `Inherited` (when, tags,
vars, environment, notify and the scalar keywords, layered) and small readers turning a
keyword's value into model values (`Expr`, tuples of conditions, tag sets). Raises:
`PlaybookError` for a `vars` that is not a mapping.

Why apart from `parser`: the parser builds nodes; this is the one place that says how a
keyword set on a parent reaches a task (Ansible copies a block's `when` onto every task,
unions tags, layers vars, lets a task's own scalars win).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from miniplay.errors import PlaybookError, fail
from miniplay.loader import YamlMap, YamlSeq, plain
from miniplay.model import Expr, RoleInfo

_SCALAR_INHERITED = (
    "become", "become_user", "become_method", "become_flags", "ignore_errors",
    "ignore_unreachable", "no_log", "check_mode", "diff", "delegate_to", "delegate_facts",
    "run_once", "any_errors_fatal", "timeout", "throttle",
)


@dataclass(frozen=True, slots=True)
class Inherited:
    """Keywords flowing from a play, block or import down to the tasks inside."""

    when: tuple[Expr, ...] = ()
    tags: frozenset[str] = frozenset()
    vars: Mapping[str, Any] = field(default_factory=dict)
    environment: tuple[Expr, ...] = ()
    notify: tuple[str, ...] = ()
    scalars: Mapping[str, Expr] = field(default_factory=dict)
    role: RoleInfo | None = None
    # Role parameters and the `vars` of the includes above (not of imports):
    # ansible-core's "role params" and "include params", above set_fact, below extra vars.
    params: Mapping[str, Any] = field(default_factory=dict)

    def extend(self, data: YamlMap) -> Inherited:
        """These keywords plus those set on `data` (a block, import or play)."""
        scalars = dict(self.scalars)
        for name in _SCALAR_INHERITED:
            if name in data:
                scalars[name] = Expr(data[name], data.pos_of(name))
        return Inherited(
            when=self.when + conditions(data, "when"),
            tags=self.tags | tags_of(data),
            vars={**self.vars, **vars_of(data)},
            environment=self.environment + env_of(data),
            notify=strings(data.get("notify")) or self.notify,
            scalars=scalars,
            role=self.role,
            params=self.params,
        )


def conditions(data: YamlMap, key: str) -> tuple[Expr, ...]:
    if key not in data or data[key] is None:
        return ()
    value = data[key]
    if isinstance(value, YamlSeq):
        return tuple(Expr(item, value.pos_of(i)) for i, item in enumerate(value))
    return (Expr(value, data.pos_of(key)),)


def optional_conditions(data: YamlMap, key: str) -> tuple[Expr, ...] | None:
    return conditions(data, key) if key in data else None


def strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list):
        return tuple(str(item) for item in value)
    return (str(value),)


def tags_of(data: YamlMap) -> frozenset[str]:
    value = data.get("tags")
    if isinstance(value, str):
        return frozenset(part.strip() for part in value.split(",") if part.strip())
    return frozenset(str(item) for item in strings(value))


def vars_of(data: YamlMap) -> dict[str, Any]:
    value = data.get("vars")
    if value is None:
        return {}
    if not isinstance(value, dict):
        fail(PlaybookError, "`vars` must be a mapping", data.pos_of("vars"))
    return plain(value)  # type: ignore[no-any-return]


def env_of(data: YamlMap) -> tuple[Expr, ...]:
    if data.get("environment") is None:
        return ()
    return (Expr(plain(data["environment"]), data.pos_of("environment")),)


def vars_files_of(data: YamlMap) -> tuple[Expr, ...]:
    value = data.get("vars_files")
    if value is None:
        return ()
    if not isinstance(value, YamlSeq):
        return (Expr(plain(value), data.pos_of("vars_files")),)
    return tuple(Expr(plain(item), value.pos_of(i)) for i, item in enumerate(value))


def expr_of(data: YamlMap, key: str) -> Expr | None:
    return Expr(plain(data[key]), data.pos_of(key)) if key in data else None


@dataclass(frozen=True, slots=True)
class Imported:
    """What `import_playbook` entries (nested ones combined) give the plays they import:
    as in Ansible, their `vars` override each play's own, their `tags` join the play's,
    and their `when` is prepended to every task's (fact gathering too), not handlers'."""

    vars: Mapping[str, Any] = field(default_factory=dict)
    when: tuple[Expr, ...] = ()
    tags: frozenset[str] = frozenset()

    def entering(self, entry: YamlMap) -> Imported:
        """These plus what the import entry `entry` sets."""
        return Imported({**self.vars, **vars_of(entry)}, self.when + conditions(entry, "when"),
                        self.tags | tags_of(entry))

    def play_vars(self, own: Mapping[str, Any]) -> tuple[dict[str, Any], frozenset[str]]:
        """A play's vars with the imports' over them, and tags a `tags` var adds."""
        merged = {**own, **self.vars}
        extra = merged.pop("tags", None) if "tags" in self.vars else None
        words = frozenset(t.strip() for t in str(extra).split(",") if t.strip()) \
            if extra is not None else frozenset()
        return merged, words

    def gathering(self, gather: Expr | None, pos: Any) -> Expr | None:
        """The play's gather_facts, gated by the imports' `when` (Ansible skips the
        facts of a play whose import condition is false)."""
        if not self.when:
            return gather
        parts = [_bare(expr.value) for expr in (*self.when, *([gather] if gather else []))]
        return Expr("{{ " + " and ".join(parts) + " }}", gather.pos if gather else pos)


def _bare(value: Any) -> str:
    """A condition or flag as a parenthesised bare expression (`{{ x }}` unwrapped)."""
    if not isinstance(value, str):
        return str(bool(value))
    text = value.strip()
    if text.startswith("{{") and text.endswith("}}") and text.count("{{") == 1:
        text = text[2:-2]
    return f"({text})"
