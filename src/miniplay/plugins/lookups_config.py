"""The config lookup: ansible-core's configuration settings that miniplay has a meaning for.

Takes: setting names as terms and the `on_missing`/`show_origin` options. Gives: each
setting's value as miniplay runs with it (from its `ANSIBLE_*` environment variable, else
ansible-core's default), with its origin when asked. Raises: `LookupFailure` for a name
that is no ansible-core setting ("No config definition exists for 'X'.") unless
`on_missing` is skip or warn (then it is left out; the warning itself is not printed),
and `NotBuilt` for a real ansible-core setting miniplay gives no meaning to.

Why the list of names: it tells a misspelt or unknown setting (where `on_missing`
applies, as in Ansible) from a setting miniplay does not build (refused by name).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from miniplay import ansible_env
from miniplay.errors import MiniplayError
from miniplay.plugins.lookups_base import (
    LookupCall,
    LookupFailure,
    LookupSpec,
    NotBuilt,
    as_bool,
)

# Every setting of ansible-core 2.19's base configuration (lib/ansible/config/base.yml).
ANSIBLE_SETTINGS = frozenset({
    "ACTION_WARNINGS", "AGNOSTIC_BECOME_PROMPT", "ALLOW_BROKEN_CONDITIONALS",
    "ALLOW_EMBEDDED_TEMPLATES", "ANSIBLE_CONNECTION_PATH", "ANSIBLE_COW_ACCEPTLIST",
    "ANSIBLE_COW_PATH", "ANSIBLE_COW_SELECTION", "ANSIBLE_FORCE_COLOR", "ANSIBLE_HOME",
    "ANSIBLE_NOCOLOR", "ANSIBLE_NOCOWS", "ANSIBLE_PIPELINING", "ANY_ERRORS_FATAL",
    "BECOME_ALLOW_SAME_USER", "BECOME_PASSWORD_FILE", "BECOME_PLUGIN_PATH", "CACHE_PLUGIN",
    "CACHE_PLUGIN_CONNECTION", "CACHE_PLUGIN_PREFIX", "CACHE_PLUGIN_TIMEOUT",
    "CALLBACKS_ENABLED", "COLLECTIONS_ON_ANSIBLE_VERSION_MISMATCH", "COLLECTIONS_PATHS",
    "COLLECTIONS_SCAN_SYS_PATH", "COLOR_CHANGED", "COLOR_CONSOLE_PROMPT", "COLOR_DEBUG",
    "COLOR_DEPRECATE", "COLOR_DIFF_ADD", "COLOR_DIFF_LINES", "COLOR_DIFF_REMOVE",
    "COLOR_DOC_CONSTANT", "COLOR_DOC_DEPRECATED", "COLOR_DOC_LINK", "COLOR_DOC_MODULE",
    "COLOR_DOC_PLUGIN", "COLOR_DOC_REFERENCE", "COLOR_ERROR", "COLOR_HIGHLIGHT",
    "COLOR_INCLUDED", "COLOR_OK", "COLOR_SKIP", "COLOR_UNREACHABLE", "COLOR_VERBOSE",
    "COLOR_WARN", "CONNECTION_FACTS_MODULES", "CONNECTION_PASSWORD_FILE",
    "COVERAGE_REMOTE_OUTPUT", "COVERAGE_REMOTE_PATHS", "DEFAULT_ACTION_PLUGIN_PATH",
    "DEFAULT_ALLOW_UNSAFE_LOOKUPS", "DEFAULT_ASK_PASS", "DEFAULT_ASK_VAULT_PASS",
    "DEFAULT_BECOME", "DEFAULT_BECOME_ASK_PASS", "DEFAULT_BECOME_EXE", "DEFAULT_BECOME_FLAGS",
    "DEFAULT_BECOME_METHOD", "DEFAULT_BECOME_USER", "DEFAULT_CACHE_PLUGIN_PATH",
    "DEFAULT_CALLBACK_PLUGIN_PATH", "DEFAULT_CLICONF_PLUGIN_PATH",
    "DEFAULT_CONNECTION_PLUGIN_PATH", "DEFAULT_DEBUG", "DEFAULT_EXECUTABLE",
    "DEFAULT_FILTER_PLUGIN_PATH", "DEFAULT_FORCE_HANDLERS", "DEFAULT_FORKS",
    "DEFAULT_GATHERING", "DEFAULT_HASH_BEHAVIOUR", "DEFAULT_HOST_LIST",
    "DEFAULT_HTTPAPI_PLUGIN_PATH", "DEFAULT_INTERNAL_POLL_INTERVAL",
    "DEFAULT_INVENTORY_PLUGIN_PATH", "DEFAULT_JINJA2_EXTENSIONS", "DEFAULT_JINJA2_NATIVE",
    "DEFAULT_KEEP_REMOTE_FILES", "DEFAULT_LIBVIRT_LXC_NOSECLABEL",
    "DEFAULT_LOAD_CALLBACK_PLUGINS", "DEFAULT_LOCAL_TMP", "DEFAULT_LOG_FILTER",
    "DEFAULT_LOG_PATH", "DEFAULT_LOOKUP_PLUGIN_PATH", "DEFAULT_MANAGED_STR",
    "DEFAULT_MODULE_ARGS", "DEFAULT_MODULE_COMPRESSION", "DEFAULT_MODULE_NAME",
    "DEFAULT_MODULE_PATH", "DEFAULT_MODULE_UTILS_PATH", "DEFAULT_NETCONF_PLUGIN_PATH",
    "DEFAULT_NO_LOG", "DEFAULT_NO_TARGET_SYSLOG", "DEFAULT_NULL_REPRESENTATION",
    "DEFAULT_POLL_INTERVAL", "DEFAULT_PRIVATE_KEY_FILE", "DEFAULT_PRIVATE_ROLE_VARS",
    "DEFAULT_REMOTE_PORT", "DEFAULT_REMOTE_USER", "DEFAULT_ROLES_PATH",
    "DEFAULT_SELINUX_SPECIAL_FS", "DEFAULT_STDOUT_CALLBACK", "DEFAULT_STRATEGY",
    "DEFAULT_STRATEGY_PLUGIN_PATH", "DEFAULT_SU", "DEFAULT_SYSLOG_FACILITY",
    "DEFAULT_TERMINAL_PLUGIN_PATH", "DEFAULT_TEST_PLUGIN_PATH", "DEFAULT_TIMEOUT",
    "DEFAULT_TRANSPORT", "DEFAULT_UNDEFINED_VAR_BEHAVIOR", "DEFAULT_VARS_PLUGIN_PATH",
    "DEFAULT_VAULT_ENCRYPT_IDENTITY", "DEFAULT_VAULT_IDENTITY", "DEFAULT_VAULT_IDENTITY_LIST",
    "DEFAULT_VAULT_ID_MATCH", "DEFAULT_VAULT_PASSWORD_FILE", "DEFAULT_VERBOSITY",
    "DEPRECATION_WARNINGS", "DEVEL_WARNING", "DIFF_ALWAYS", "DIFF_CONTEXT",
    "DISPLAY_ARGS_TO_STDOUT", "DISPLAY_SKIPPED_HOSTS", "DISPLAY_TRACEBACK", "DOCSITE_ROOT_URL",
    "DOC_FRAGMENT_PLUGIN_PATH", "DUPLICATE_YAML_DICT_KEY", "EDITOR", "ENABLE_TASK_DEBUGGER",
    "ERROR_ON_MISSING_HANDLER", "FACTS_MODULES", "GALAXY_CACHE_DIR",
    "GALAXY_COLLECTIONS_PATH_WARNING", "GALAXY_COLLECTION_IMPORT_POLL_FACTOR",
    "GALAXY_COLLECTION_IMPORT_POLL_INTERVAL", "GALAXY_COLLECTION_SKELETON",
    "GALAXY_COLLECTION_SKELETON_IGNORE", "GALAXY_DISABLE_GPG_VERIFY", "GALAXY_DISPLAY_PROGRESS",
    "GALAXY_GPG_KEYRING", "GALAXY_IGNORE_CERTS", "GALAXY_IGNORE_INVALID_SIGNATURE_STATUS_CODES",
    "GALAXY_REQUIRED_VALID_SIGNATURE_COUNT", "GALAXY_ROLE_SKELETON",
    "GALAXY_ROLE_SKELETON_IGNORE", "GALAXY_SERVER", "GALAXY_SERVER_LIST",
    "GALAXY_SERVER_TIMEOUT", "GALAXY_TOKEN_PATH", "HOST_KEY_CHECKING", "HOST_PATTERN_MISMATCH",
    "INJECT_FACTS_AS_VARS", "INTERPRETER_PYTHON", "INTERPRETER_PYTHON_FALLBACK",
    "INVALID_TASK_ATTRIBUTE_FAILED", "INVENTORY_ANY_UNPARSED_IS_FAILED", "INVENTORY_ENABLED",
    "INVENTORY_EXPORT", "INVENTORY_IGNORE_EXTS", "INVENTORY_IGNORE_PATTERNS",
    "INVENTORY_UNPARSED_IS_FAILED", "INVENTORY_UNPARSED_WARNING", "LOCALHOST_WARNING",
    "LOG_VERBOSITY", "MAX_FILE_SIZE_FOR_DIFF", "MODULE_IGNORE_EXTS",
    "MODULE_STRICT_UTF8_RESPONSE", "NETCONF_SSH_CONFIG", "NETWORK_GROUP_MODULES",
    "OLD_PLUGIN_CACHE_CLEARING", "PAGER", "PARAMIKO_HOST_KEY_AUTO_ADD",
    "PARAMIKO_LOOK_FOR_KEYS", "PERSISTENT_COMMAND_TIMEOUT", "PERSISTENT_CONNECT_RETRY_TIMEOUT",
    "PERSISTENT_CONNECT_TIMEOUT", "PERSISTENT_CONTROL_PATH_DIR", "PLAYBOOK_DIR",
    "PLAYBOOK_VARS_ROOT", "PLUGIN_FILTERS_CFG", "PYTHON_MODULE_RLIMIT_NOFILE",
    "RETRY_FILES_ENABLED", "RETRY_FILES_SAVE_PATH", "RUN_VARS_PLUGINS", "SHOW_CUSTOM_STATS",
    "SSH_AGENT", "SSH_AGENT_EXECUTABLE", "SSH_AGENT_KEY_LIFETIME", "STRING_TYPE_FILTERS",
    "SYSTEM_WARNINGS", "TAGS_RUN", "TAGS_SKIP", "TARGET_LOG_INFO",
    "TASK_DEBUGGER_IGNORE_ERRORS", "TASK_TIMEOUT", "TRANSFORM_INVALID_GROUP_CHARS",
    "USE_PERSISTENT_CONNECTIONS", "VALIDATE_ACTION_GROUP_METADATA", "VARIABLE_PLUGINS_ENABLED",
    "VARIABLE_PRECEDENCE", "VAULT_ENCRYPT_SALT", "VERBOSE_TO_STDERR",
    "WIN_ASYNC_STARTUP_TIMEOUT", "WORKER_SHUTDOWN_POLL_COUNT", "WORKER_SHUTDOWN_POLL_DELAY",
    "YAML_FILENAME_EXTENSIONS", "_ANSIBALLZ_COVERAGE_CONFIG", "_ANSIBALLZ_DEBUGPY_CONFIG",
    "_ANSIBALLZ_PYDEVD_CONFIG", "_ANSIBLE_CONNECTION_PATH", "_CALLBACK_DISPATCH_ERROR_BEHAVIOR",
    "_MODULE_METADATA", "_TEMPLAR_SANDBOX_MODE", "_TEMPLAR_UNKNOWN_TYPE_CONVERSION",
    "_TEMPLAR_UNKNOWN_TYPE_ENCOUNTERED", "_TEMPLAR_UNTRUSTED_TEMPLATE_BEHAVIOR",
    "_Z_TEST_ENTRY", "_Z_TEST_ENTRY_2", "_Z_TEST_ENTRY_3",
})


def _path_list(text: str) -> list[str]:
    return [os.path.expanduser(part) for part in text.split(os.pathsep) if part]


def _bool_env(text: str) -> bool:
    return text.strip().lower() in ("1", "true", "yes", "on", "y", "t")


def _from(read: Callable[[], Any]) -> Callable[[str], Any]:
    """A setting miniplay reads through `ansible_env` (the text is read there again)."""
    def value(_: str) -> Any:
        try:
            return read()
        except MiniplayError as exc:
            raise LookupFailure(exc.message) from None
    return value


# Settings miniplay honours: environment variable, ansible-core's default, converter.
SETTINGS: dict[str, tuple[str, str, Callable[[str], Any]]] = {
    "DEFAULT_ROLES_PATH": ("ANSIBLE_ROLES_PATH", "~/.ansible/roles:/usr/share/ansible/roles:"
                           "/etc/ansible/roles", _path_list),
    "DEFAULT_MODULE_PATH": ("ANSIBLE_LIBRARY", "~/.ansible/plugins/modules:"
                            "/usr/share/ansible/plugins/modules", _path_list),
    "HOST_KEY_CHECKING": ("ANSIBLE_HOST_KEY_CHECKING", "True", _bool_env),
    "ANSIBLE_NOCOLOR": ("ANSIBLE_NOCOLOR", "False", _bool_env),
    "DEFAULT_POLL_INTERVAL": ("ANSIBLE_POLL_INTERVAL", "15", int),
    "DEFAULT_GATHERING": ("ANSIBLE_GATHERING", "implicit", _from(ansible_env.gathering)),
    "DEFAULT_FORCE_HANDLERS": ("ANSIBLE_FORCE_HANDLERS", "False",
                               _from(ansible_env.force_handlers)),
    "DEFAULT_STRATEGY": ("ANSIBLE_STRATEGY", "linear", _from(ansible_env.default_strategy)),
    "ALLOW_BROKEN_CONDITIONALS": ("ANSIBLE_ALLOW_BROKEN_CONDITIONALS", "False",
                                  _from(ansible_env.allow_broken_conditionals)),
}


def _config(terms: list[Any], call: LookupCall, options: dict[str, Any]) -> list[Any]:
    missing = options["on_missing"]
    if not isinstance(missing, str) or missing not in ("error", "warn", "skip"):
        raise LookupFailure(f"Invalid value {missing!r} for config 'on_missing' for 'config' "
                            "lookup plugin.")
    results: list[Any] = []
    for term in terms:
        if not isinstance(term, str):
            raise LookupFailure(f"Invalid setting identifier, {term!r} is not a string, its a "
                                f"{type(term)}")
        if term not in ANSIBLE_SETTINGS:
            if missing == "error":
                raise LookupFailure(f"No config definition exists for {term!r}.")
            continue
        if term not in SETTINGS:
            raise NotBuilt(f"the config setting {term!r} has no meaning in miniplay (it knows "
                           f"{', '.join(sorted(SETTINGS))})")
        variable, default, convert = SETTINGS[term]
        found = os.environ.get(variable)
        value = convert(found if found is not None else default)
        if as_bool("show_origin", options["show_origin"]):
            results.append([value, f"env: {variable}" if found is not None else "default"])
        else:
            results.append(value)
    return results


CONFIG_LOOKUPS: dict[str, LookupSpec] = {
    "config": LookupSpec(_config, {"on_missing": "error", "show_origin": False}, refused={
        "plugin_type": "plugin settings have no meaning in miniplay",
        "plugin_name": "plugin settings have no meaning in miniplay"}),
}
