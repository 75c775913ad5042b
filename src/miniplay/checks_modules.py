"""What an action name miniplay does not know is: an Ansible module not built here, a
plugin Ansible would load from a place miniplay does not read, or a mistake.

Takes: a module name a task uses that is neither built in nor in a `library/` folder,
and the file and playbook folder of the task. Gives: one `Diagnostic` — `not-built`
(refused by name, issue #12) or `unknown-module` (with a did-you-mean hint). Raises:
nothing.

Why tell them apart: `couldn't resolve module/action 'dnf'` reads as a typo, but `dnf`
is valid Ansible; the user needs to know miniplay refuses it on purpose. The names
below are ansible-core 2.19's own modules and action plugins (`ansible.builtin`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from miniplay.errors import Position
from miniplay.roles import role_root_of
from miniplay.schema import Diagnostic, did_you_mean, error

# ansible-core 2.19's modules and action plugins (lib/ansible/modules, plugins/action).
ANSIBLE_MODULES = frozenset({
    "add_host", "apt", "apt_key", "apt_repository", "assemble", "assert", "async_status",
    "blockinfile", "command", "copy", "cron", "deb822_repository", "debconf", "debug",
    "dnf", "dnf5", "dpkg_selections", "expect", "fail", "fetch", "file", "find",
    "gather_facts", "get_url", "getent", "git", "group", "group_by", "hostname",
    "import_playbook", "import_role", "import_tasks", "include_role", "include_tasks",
    "include_vars", "iptables", "known_hosts", "lineinfile", "meta", "mount_facts",
    "package", "package_facts", "pause", "ping", "pip", "raw", "reboot", "replace",
    "rpm_key", "script", "service", "service_facts", "set_fact", "set_stats", "setup",
    "shell", "slurp", "stat", "subversion", "systemd", "systemd_service", "sysvinit",
    "tempfile", "template", "unarchive", "uri", "user", "validate_argument_spec",
    "wait_for", "wait_for_connection", "yum_repository",
    "yum",  # an action redirected to dnf (config/ansible_builtin_runtime.yml)
})
_PLUGIN_SUFFIXES = (".py", ".ps1", ".sh", "")


def unknown_module(module: str, pos: Position | None, file: str, base: Path,
                   modules: Iterable[str], collections: bool = False) -> Diagnostic:
    """The diagnostic for a task using `module`, which miniplay cannot run
    (`collections`: the play or block names collections it may come from)."""
    if module in ANSIBLE_MODULES:
        return error("not-built", f"miniplay does not run the Ansible module `{module}` "
                     "yet", pos, "use a module miniplay has (`miniplay doc`), or put an "
                     f"implementation in library/{module}.py beside the playbook")
    where = _plugin_place(module, file, base) or (
        "maybe a module of the collections the play names" if collections else None)
    if where is not None:
        return error("not-built", f"`{module}` is {where}, which miniplay does not load",
                     pos, "miniplay runs modules from library/ (beside the playbook or in "
                     "a role) and its own; not action plugins or collections")
    return error("unknown-module", f"couldn't resolve module/action '{module}'", pos,
                 _hint(module, modules))


def _plugin_place(module: str, file: str, base: Path) -> str | None:
    """What Ansible would load `module` from, when miniplay cannot: an action plugin
    beside the playbook, the task's file or in its role, or a collection's module."""
    folders = [base, Path(file).parent]
    role = role_root_of(file)
    if role is not None:
        folders.append(role)
    short = module.rsplit(".", 1)[-1]
    for folder in folders:
        if any((folder / "action_plugins" / f"{short}{suffix}").is_file()
               for suffix in _PLUGIN_SUFFIXES):
            return "an action plugin (action_plugins/)"
    if module.count(".") >= 2:
        return "a collection's module"
    if (base / "collections" / "ansible_collections").is_dir():
        return "maybe a module of the collections beside the playbook (or one redirected there)"
    return None


def _hint(module: str, modules: Iterable[str]) -> str:
    close = did_you_mean(module, modules)
    if close:
        return close
    if "." in module:
        return "collections are not supported; use a built-in module or put one in library/"
    return f"add library/{module}.py beside the playbook, or use one of miniplay's modules"
