"""Ansible's configuration environment variables that change what a run does.

Takes: the process environment. Gives: the settings miniplay honours (`gathering`,
`force_handlers`, `default_strategy`, `inject_facts`, `allow_broken_conditionals`) and,
through `check_environment`, a refusal of the ones it does not build. Raises:
`OptionsError` naming the variable.

ansible-playbook reads many `ANSIBLE_*` variables; a playbook run under miniplay with
one of them set must not silently mean something else. The ones that change results are
either honoured here or refused by name before anything runs; display-only ones are left
to the output.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from miniplay.errors import OptionsError

_TRUE = frozenset({"y", "yes", "on", "1", "true", "t"})
_FALSE = frozenset({"n", "no", "off", "0", "false", "f", ""})

GATHERING = ("implicit", "explicit", "smart")

# variable → (the value miniplay runs with, what it would change)
_REFUSED: Mapping[str, tuple[frozenset[str], str]] = {
    "ANSIBLE_CACHE_PLUGIN": (frozenset({"memory"}), "fact caching across runs"),
}


def _flag(name: str, value: str) -> bool:
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise OptionsError(f"Invalid value {value!r} for {name}: expected a boolean")


def check_environment(env: Mapping[str, str] | None = None) -> None:
    """Refuse, naming it, a configuration variable set to what miniplay does not run."""
    env = os.environ if env is None else env
    for name, (accepted, meaning) in _REFUSED.items():
        value = env.get(name)
        if value is None:
            continue
        normal = value.strip().lower() if accepted & _TRUE else value.strip()
        if normal not in accepted:
            raise OptionsError(f"{name}={value} is not built in miniplay ({meaning})",
                               hint=f"unset {name} to run with Ansible's default")
    gathering(env)
    force_handlers(env)
    default_strategy(env)
    inject_facts(env)
    allow_broken_conditionals(env)


def gathering(env: Mapping[str, str] | None = None) -> str:
    """`ANSIBLE_GATHERING`: when a play without `gather_facts` gathers facts (`implicit`:
    always; `explicit`: never; `smart`: for hosts that have no facts yet)."""
    env = os.environ if env is None else env
    value = env.get("ANSIBLE_GATHERING", "implicit")
    if value not in GATHERING:
        raise OptionsError(f"Invalid value {value!r} for config 'DEFAULT_GATHERING'. "
                           f"Valid values are: {', '.join(GATHERING)}")
    return value


def force_handlers(env: Mapping[str, str] | None = None) -> bool:
    """`ANSIBLE_FORCE_HANDLERS`: run notified handlers on failed hosts too."""
    env = os.environ if env is None else env
    value = env.get("ANSIBLE_FORCE_HANDLERS")
    return False if value is None else _flag("ANSIBLE_FORCE_HANDLERS", value)


STRATEGIES = ("linear", "free")


def default_strategy(env: Mapping[str, str] | None = None) -> str:
    """`ANSIBLE_STRATEGY`: the strategy of a play that names none (linear or free; the
    others are not built and refused)."""
    env = os.environ if env is None else env
    value = env.get("ANSIBLE_STRATEGY", "linear")
    name = value.removeprefix("ansible.builtin.").removeprefix("ansible.legacy.")
    if name not in STRATEGIES:
        raise OptionsError(f"ANSIBLE_STRATEGY={value} is not built in miniplay",
                           hint="use linear or free, or unset it")
    return name


def inject_facts(env: Mapping[str, str] | None = None) -> bool:
    """`ANSIBLE_INJECT_FACT_VARS`: facts are also top-level `ansible_*` variables (true,
    the default); false leaves them only under `ansible_facts`."""
    env = os.environ if env is None else env
    value = env.get("ANSIBLE_INJECT_FACT_VARS")
    return True if value is None else _flag("ANSIBLE_INJECT_FACT_VARS", value)


def allow_broken_conditionals(env: Mapping[str, str] | None = None) -> bool:
    """`ANSIBLE_ALLOW_BROKEN_CONDITIONALS`: a condition whose result is no boolean counts
    by its truth instead of failing the task (false, the default, as 2.19)."""
    env = os.environ if env is None else env
    value = env.get("ANSIBLE_ALLOW_BROKEN_CONDITIONALS")
    return False if value is None else _flag("ANSIBLE_ALLOW_BROKEN_CONDITIONALS", value)
