#!/usr/bin/env python3
"""command / shell: run a program on the host and report what it did.

Takes (one JSON object on stdin): ``_raw_params`` or ``cmd`` (a string) or ``argv`` (a
list), ``chdir``, ``creates``, ``removes``, ``stdin``, ``stdin_add_newline`` (true),
``strip_empty_ends`` (true), ``expand_argument_vars`` (true, command only: shell
fails on it as ansible-core's shell action does), ``executable`` (the shell for shell;
command ignores it with ansible-core's warning). Internal keys ``_ansible_check_mode``,
``_ansible_module_name``.
Gives (one JSON object on stdout): ansible-core 2.19's command result: ``changed``,
``cmd``, ``rc``, ``stdout``/``stderr`` (+ ``_lines``), ``start``/``end``/``delta``,
``msg`` and ``invocation.module_args``; ``failed`` with "non-zero return code" when rc
is not 0. Raises: nothing; bad arguments and a missing program are failed results.

One file serves both modules (``modules/shell.py`` is a link to it, so the agent caches
one source): it runs through a shell when the module name is ``shell`` (or
``_uses_shell`` is set), else it splits the command with shlex and runs no shell.
Standard library only, Python >= 3.8.
"""

from __future__ import annotations

import contextlib
import datetime
import glob
import json
import os
import selectors
import shlex
import subprocess
import sys
from typing import Any

SPEC = {
    "_raw_params": None, "_uses_shell": False, "cmd": None, "argv": None, "chdir": None,
    "executable": None, "expand_argument_vars": True, "creates": None, "removes": None,
    "stdin": None, "stdin_add_newline": True, "strip_empty_ends": True,
}
BOOLS = ("_uses_shell", "expand_argument_vars", "stdin_add_newline", "strip_empty_ends")
COMMANDS = ("_raw_params", "cmd", "argv")
PATHS = ("chdir", "creates", "removes")


class Failure(Exception):
    """Ends the module with a failed result."""

    def __init__(self, result: dict[str, Any]) -> None:
        super().__init__(result.get("msg"))
        self.result = result


def to_bool(name: str, value: Any) -> bool:
    text = str(value).lower()
    if text in ("1", "true", "yes", "on", "y", "t"):
        return True
    if text in ("0", "false", "no", "off", "n", "f", ""):
        return False
    kind = type(value).__name__
    raise Failure({"msg": f"argument '{name}' is of type {kind} and we were unable to convert "
                          f"to bool: The value '{value}' is not a valid boolean."})


def check_params(raw: dict[str, Any], shell: bool, name: str = "shell") -> dict[str, Any]:
    """The module's parameters with defaults, as AnsibleModule would check them (and
    ansible-core's shell action, which refuses `expand_argument_vars` by the task's
    action name)."""
    given = {k: v for k, v in raw.items() if not k.startswith("_ansible_")}
    if shell and "expand_argument_vars" in given:
        raise Failure({"msg": f"Unsupported parameters for ({name}) module: "
                              "expand_argument_vars"})
    unknown = sorted(set(given) - set(SPEC))
    if unknown:
        raise Failure({"msg": "Unsupported parameters for ({}) module: {}. Supported parameters "
                              "include: {}.".format("shell" if shell else "command",
                                                    ", ".join(unknown), ", ".join(sorted(SPEC)))})
    params = dict(SPEC, **given)
    for name in BOOLS:
        params[name] = to_bool(name, params[name])
    params["_uses_shell"] = params["_uses_shell"] or shell
    for name in PATHS:  # Ansible's `path` type: any value as text, ~ and $VARS expanded
        if params[name] is not None:
            params[name] = os.path.expanduser(os.path.expandvars(str(params[name])))
    chosen = [name for name in COMMANDS if params[name] is not None]
    if not chosen:
        raise Failure({"msg": "one of the following is required: " + ", ".join(COMMANDS)})
    if len(chosen) > 1:
        raise Failure({"msg": "parameters are mutually exclusive: " + "|".join(COMMANDS)})
    if params["argv"] is not None and not isinstance(params["argv"], list):
        params["argv"] = [params["argv"]]
    return params


def command_of(params: dict[str, Any]) -> Any:
    """The command as the result shows it: a string for shell, a list otherwise."""
    text = params["_raw_params"] or params["cmd"]
    if params["_uses_shell"]:
        return text if text is not None else " ".join(shlex.quote(str(a)) for a in params["argv"])
    if text is not None:
        return shlex.split(text)
    return [str(arg) for arg in params["argv"]]


def popen_args(params: dict[str, Any], cmd: Any) -> tuple[Any, bool]:
    """What to hand Popen (bytes argv, so errors name the program as Ansible's do)."""
    if params["_uses_shell"]:
        executable = params["executable"]
        if executable:
            return [os.fsencode(executable), b"-c", os.fsencode(cmd)], False
        return os.fsencode(cmd), True
    if params["expand_argument_vars"]:
        cmd = [os.path.expanduser(os.path.expandvars(arg)) for arg in cmd]
    return [os.fsencode(arg) for arg in cmd], False


def collect(process: subprocess.Popen[bytes], data: bytes | None) -> tuple[bytes, bytes]:
    """stdout and stderr of `process`, read until both close or, as ansible-core's
    run_command does, until the process has exited and a second passes with nothing
    to read (a program left in the background holding the pipes does not hang it)."""
    if data is not None and process.stdin is not None:
        with contextlib.suppress(BrokenPipeError):
            process.stdin.write(data)
        process.stdin.close()
    assert process.stdout is not None
    assert process.stderr is not None
    out_fd, err_fd = process.stdout.fileno(), process.stderr.fileno()
    buffers = {out_fd: bytearray(), err_fd: bytearray()}
    with selectors.DefaultSelector() as selector:
        for fd in buffers:
            selector.register(fd, selectors.EVENT_READ)
        while True:
            events = selector.select(1)
            for key, _ in events:
                chunk = os.read(key.fd, 65536)
                if chunk:
                    buffers[key.fd] += chunk
                else:
                    selector.unregister(key.fd)
            if (not events or not selector.get_map()) and process.poll() is not None:
                break
            if not selector.get_map():
                process.wait()
                break
    process.stdout.close()
    process.stderr.close()
    return bytes(buffers[out_fd]), bytes(buffers[err_fd])


def execute(params: dict[str, Any], cmd: Any, result: dict[str, Any]) -> None:
    """Run the command, filling rc, stdout, stderr, start, end and delta in `result`."""
    args, use_shell = popen_args(params, cmd)
    data = params["stdin"]
    if data is not None:
        data = str(data) + ("\n" if params["stdin_add_newline"] else "")
    start = datetime.datetime.now()
    try:
        process = subprocess.Popen(
            args, shell=use_shell, stdin=subprocess.DEVNULL if data is None else subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = collect(process, None if data is None else data.encode("utf-8"))
    except OSError as exc:
        shown = cmd if isinstance(cmd, str) else " ".join(shlex.quote(a) for a in cmd)
        raise Failure({"changed": False, "cmd": shown, "rc": exc.errno, "stdout": "",
                       "stderr": "", "msg": "Error executing command.",
                       "exception": str(exc)}) from None
    end = datetime.datetime.now()
    result.update(rc=process.returncode, start=str(start), end=str(end), delta=str(end - start),
                  stdout=out.decode("utf-8", "replace"), stderr=err.decode("utf-8", "replace"))


def skip_reason(params: dict[str, Any], check_mode: bool) -> tuple[str, str] | None:
    """``(msg, stdout)`` when ``creates``/``removes`` say the command need not run."""
    verb = "Would" if check_mode else "Did"
    creates, removes = params["creates"], params["removes"]
    if creates and glob.glob(os.path.expanduser(creates)):
        state, path = "exists", creates
    elif removes and not glob.glob(os.path.expanduser(removes)):
        state, path = "does not exist", removes
    else:
        return None
    return f"{verb} not run command since '{path}' {state}", f"skipped, since {path} {state}"


def run(params: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    """The module's result (raises `Failure` for a failed one)."""
    cmd = command_of(params)
    result: dict[str, Any] = {"changed": False, "stdout": "", "stderr": "", "rc": None,
                              "cmd": cmd, "start": None, "end": None, "delta": None, "msg": ""}
    if params["chdir"]:
        try:
            os.chdir(os.path.expanduser(params["chdir"]))
        except OSError as exc:
            raise Failure(dict(result, msg="Unable to change directory before execution.",
                               exception=str(exc))) from None
    skip = skip_reason(params, check_mode)
    if skip:
        return dict(result, msg=skip[0], stdout=skip[1], rc=0)
    if params["executable"] and not params["_uses_shell"]:  # command ignores it, and says so
        result["warnings"] = [
            "As of Ansible 2.4, the parameter 'executable' is no longer supported with the "
            f"'command' module. Not using '{params['executable']}'."]
    result["changed"] = True
    if check_mode:
        result.update(rc=0, msg="Command would have run if not in check mode")
        if params["creates"] is None and params["removes"] is None:
            result.update(skipped=True, changed=False)
        return result
    if not cmd:
        raise Failure({"changed": False, "cmd": None, "rc": 257,
                       "msg": "Argument 'args' to run_command must be list or string"})
    execute(params, cmd, result)
    if params["strip_empty_ends"]:
        result["stdout"] = result["stdout"].rstrip("\r\n")
        result["stderr"] = result["stderr"].rstrip("\r\n")
    if result["rc"] != 0:
        raise Failure(dict(result, msg="non-zero return code"))
    return result


def finish(result: dict[str, Any], invocation: dict[str, Any]) -> None:
    """Print the result with the keys Ansible's side always adds."""
    for name in ("stdout", "stderr"):
        if name in result:
            result[name + "_lines"] = str(result[name]).splitlines()
    result["invocation"] = {"module_args": invocation}
    print(json.dumps(result))


def main() -> None:
    raw = json.load(sys.stdin)
    name = raw.get("_ansible_module_name") or os.path.basename(sys.argv[0]).split(".")[0]
    shell = name in ("shell", "ansible.builtin.shell", "ansible.legacy.shell")
    invocation = {k: v for k, v in raw.items() if not k.startswith("_ansible_")}
    try:
        params = check_params(raw, shell, name)
        invocation = params
        result = run(params, bool(raw.get("_ansible_check_mode")))
    except Failure as failure:
        result = dict(failure.result, failed=True)
    finish(result, invocation)


if __name__ == "__main__":
    main()
