"""Finding a module and running it on a host through its connection.

Takes: a module name, templated arguments and a `Connection`. Gives: the module's result
dict (Ansible's raw result, before the executor's conditions). Raises: `ModuleError`
only from `ModuleFinder.require` (the pre-run check); every run-time problem becomes a
failed result.

Lookup order is Ansible's: `library/` beside the playbook, `--module-path` and
`ANSIBLE_LIBRARY` directories, then miniplay's built-in `modules/`. A library module may
follow miniplay's contract (JSON on stdin) or Ansible's `WANT_JSON` (argv[1] is a JSON
file); a module in another language without `WANT_JSON` (a `#!` line naming no Python)
is Ansible's old style (argv[1] is a file of `key=value` words). Modules written against
`ansible.module_utils` need Ansible itself and are refused.

As in ansible-core, the `#!` line of a WANT_JSON or old-style module is rewritten: a
Python one to `ansible_python_interpreter` (else the agent's Python runs it), another
to `ansible_NAME_interpreter` when set (NAME: the basename of the interpreter written).
"""

from __future__ import annotations

import glob
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from miniplay.connection.base import Connection, ModuleRequest, ModuleStyle
from miniplay.errors import ModuleError, Position
from miniplay.inline import inline_helpers
from miniplay.paths import module_name, modules_dir

# Built-in modules the agent may run in its own process instead of a fork: quick, no
# child processes, nothing left behind in the agent. async_status is polled up to once a
# second per job and host, and a fork costs the host 5-10 ms of CPU each time.
IN_AGENT = frozenset({"async_status"})


@dataclass(frozen=True, slots=True)
class ModuleFile:
    """A module found on the controller, ready to send."""

    name: str
    path: str
    source: bytes
    style: ModuleStyle

    @property
    def in_agent(self) -> bool:
        """Whether this is one of miniplay's own IN_AGENT modules (not a library one)."""
        return self.name in IN_AGENT and Path(self.path).parent == modules_dir()


def search_dirs(playbook_dir: str, module_paths: Sequence[str],
                role_paths: Sequence[str] = ()) -> list[Path]:
    """Where modules are looked up, first match wins (roles' `library/` first)."""
    dirs = [Path(role) / "library" for role in role_paths]
    dirs += [Path(playbook_dir) / "library", *map(Path, module_paths)]
    env = os.environ.get("ANSIBLE_LIBRARY", "")
    dirs += [Path(part) for part in env.split(os.pathsep) if part]
    dirs.append(modules_dir())
    return dirs


def _other_extensions(directory: Path, name: str) -> list[Path]:
    """`name.<ext>` files in `directory` that are modules (`greet.sh`), sorted; Ansible
    finds a module whatever its extension."""
    if not directory.is_dir():
        return []
    return sorted(path for path in directory.glob(f"{glob.escape(name)}.*")
                  if module_name(path.name) == name and path.suffix != ".py")


def _style(source: bytes) -> ModuleStyle | None:
    if b"WANT_JSON" in source:
        return "want_json"
    if b"ansible.module_utils" in source or b"ansible_collections" in source:
        return None
    if b"\0" in source[:1024]:
        return "want_json"
    if source.startswith(b"#!") and b"python" not in source.split(b"\n", 1)[0]:
        return "old"
    return "json"


def _interpreter_name(source: bytes) -> str | None:
    """The basename of the interpreter a `#!` line names (`bash`, `env`), or None."""
    if not source.startswith(b"#!"):
        return None
    words = source.split(b"\n", 1)[0][2:].decode("utf-8", "replace").split()
    return os.path.basename(words[0]).strip() if words else None


def with_interpreter(module: ModuleFile, variables: Mapping[str, Any]) -> bytes:
    """The source to send: for a WANT_JSON or old-style module, its `#!` line with the
    interpreter the host's variables set (see the module docstring)."""
    name = _interpreter_name(module.source) if module.style != "json" else None
    if name is None:
        return module.source
    first, _, rest = module.source.partition(b"\n")
    args = first[2:].decode("utf-8", "replace").split()[1:]
    if "python" in name:
        chosen = variables.get("ansible_python_interpreter")
        if not chosen:  # the agent runs a source without `#!` with its own Python
            return b"#\n" + rest
    else:
        chosen = variables.get(f"ansible_{name}_interpreter")
        if not chosen:
            return module.source
    line = " ".join([str(chosen), *args])
    return f"#!{line}\n".encode() + rest


class ModuleFinder:
    """Finds module files once per run and keeps their sources."""

    def __init__(self, dirs: Sequence[Path]) -> None:
        self.dirs = list(dirs)
        self._found: dict[str, ModuleFile | None] = {}

    def find(self, name: str) -> ModuleFile | None:
        if name not in self._found:
            self._found[name] = self._lookup(name)
        return self._found[name]

    def _lookup(self, name: str) -> ModuleFile | None:
        for directory in self.dirs:
            for candidate in (directory / f"{name}.py", directory / name,
                              *_other_extensions(directory, name)):
                if candidate.is_file():
                    source = self._read(candidate)
                    style = _style(source)
                    if style is None:
                        raise ModuleError(
                            f"module {name} ({candidate}) is written for Ansible's "
                            "module_utils, which miniplay does not ship",
                            hint="rewrite it to read JSON on stdin, or add WANT_JSON",
                        )
                    return ModuleFile(name, str(candidate), source, style)
        return None

    @staticmethod
    def _read(path: Path) -> bytes:
        """The module's source with its marked helpers inlined (`miniplay.inline`)."""
        try:
            return inline_helpers(path.read_bytes(),
                                  lambda name: (path.parent / f"{name}.py").read_bytes())
        except OSError as exc:
            raise ModuleError(f"module {path.name} inlines {exc.filename}, which cannot be "
                              f"read: {exc.strerror}") from None

    def require(self, name: str, pos: Position) -> ModuleFile:
        """The module, or a positioned error naming it (run before anything runs)."""
        try:
            found = self.find(name)
        except ModuleError as exc:  # found but not runnable: say which task uses it
            raise ModuleError(exc.message, exc.pos or pos, exc.hint) from None
        if found is None:
            raise ModuleError(
                f"module {name} is not available in miniplay yet", pos,
                "put an implementation in library/ beside the playbook, or use "
                "command/shell",
            )
        return found


async def run_module(conn: Connection, module: ModuleFile, args: Mapping[str, Any], *,
                     check: bool, diff: bool, no_log: bool, async_seconds: int = 0,
                     async_dir: str | None = None,
                     environment: Mapping[str, str] | None = None,
                     time_limit: float | None = None,
                     variables: Mapping[str, Any] | None = None,
                     rlimit_nofile: int = 0) -> dict[str, Any]:
    """Run `module` on the connection's host; the module's own result dict.
    `variables` (the host's) choose the interpreter of a non-JSON-contract module."""
    request = ModuleRequest(
        name=module.name, source=with_interpreter(module, variables or {}), args=dict(args),
        style=module.style, rlimit_nofile=rlimit_nofile,
        check_mode=check, diff=diff, no_log=no_log, async_seconds=async_seconds,
        async_dir=async_dir, environment=dict(environment or {}), timeout=time_limit,
        in_agent=module.in_agent,
    )
    return with_lines(await conn.run_module(request))


def with_lines(result: dict[str, Any]) -> dict[str, Any]:
    """`stdout_lines`/`stderr_lines` beside `stdout`/`stderr`, as ansible-core adds them to
    every module result (and only to those: `pause` or `debug` results get none)."""
    for stream in ("stdout", "stderr"):
        text = result.get(stream)
        if isinstance(text, str) and f"{stream}_lines" not in result:
            result[f"{stream}_lines"] = text.splitlines()
    return result


async def run_raw(conn: Connection, args: Mapping[str, Any],
                  environment: Mapping[str, str] | None = None) -> dict[str, Any]:
    """`raw`: the command through the host's shell, no Python needed."""
    command = str(args.get("_raw_params", args.get("cmd", "")))
    output = await conn.exec_raw(command, dict(environment or {}))
    result: dict[str, Any] = {
        "changed": True, "rc": output.rc, "stdout": output.stdout, "stderr": output.stderr,
        "stdout_lines": output.stdout.splitlines(), "stderr_lines": output.stderr.splitlines(),
    }
    if output.rc != 0:
        result["failed"] = True
        result["msg"] = "non-zero return code"
    return result
