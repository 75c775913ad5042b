"""Unit-level: SSH settings from host variables, and the password never shown."""

from __future__ import annotations

import getpass
import subprocess
from pathlib import Path

import pytest
from ssh_cli import host_line, inventory, run
from sshd_server import SshServer, free_port

from miniplay.connection.ssh import SshConnection, agent_command, with_environment
from miniplay.connection.ssh_settings import parse_ssh_args, settings_from_vars
from miniplay.options import RunOptions

SECRET = "s3cr3t-Pa55-never-shown"


def test_defaults_follow_ansible() -> None:
    s = settings_from_vars("web1", {}, RunOptions())
    assert (s.address, s.port, s.user, s.host_keys, s.python) == (
        "web1", 22, getpass.getuser(), "yes", None)
    assert s.known_hosts[0].endswith("/.ssh/known_hosts")


def test_common_args_map_but_explicit_vars_win() -> None:
    args = "-p 2200 -l bob -o UserKnownHostsFile=/k1 -oStrictHostKeyChecking=no -i /key"
    s = settings_from_vars("h", {"ansible_ssh_common_args": args}, RunOptions())
    assert (s.port, s.user, s.host_keys, s.key_files) == (2200, "bob", "no", ("/key",))
    assert s.known_hosts[0] == "/k1"
    s = settings_from_vars("h", {"ansible_ssh_common_args": args, "ansible_port": 2201,
                                 "ansible_user": "eve"}, RunOptions())
    assert (s.port, s.user) == (2201, "eve")


def test_parse_ssh_args_forms() -> None:
    parsed = parse_ssh_args("-o 'Port 7' -p8 -o ControlMaster=auto -C -o User=x")
    assert parsed == {"port": ["7", "8"], "controlmaster": ["auto"], "user": ["x"]}


def test_host_key_checking_off_and_accept_new() -> None:
    off = settings_from_vars("h", {}, RunOptions(host_key_checking=False))
    assert off.host_keys == "no"
    assert SshConnection(off).warning is not None
    new = settings_from_vars("h", {"ansible_ssh_extra_args": "-o StrictHostKeyChecking=accept-new"},
                             RunOptions())
    assert new.host_keys == "accept-new"
    assert SshConnection(new).warning is None


def test_interpreter_auto_means_discover() -> None:
    assert settings_from_vars("h", {"ansible_python_interpreter": "auto"}, RunOptions()).python \
        is None
    assert "command -v python3" in agent_command(None)
    assert agent_command("/opt/py").startswith("/opt/py -c ")


def test_raw_environment_is_exported() -> None:
    assert with_environment("env", {"A": "1 2"}) == "export A='1 2'; env"
    assert with_environment("env", {}) == "env"


def test_password_is_not_in_repr() -> None:
    s = settings_from_vars("h", {"ansible_password": SECRET}, RunOptions())
    assert s.password == SECRET
    assert SECRET not in repr(s)
    assert SECRET not in repr(SshConnection(s).__dict__)


@pytest.mark.ssh
@pytest.mark.parametrize("reachable", [True, False], ids=["auth-fails", "port-closed"])
def test_password_never_in_output(tmp_path: Path, sshd: SshServer, reachable: bool) -> None:
    port = sshd.port if reachable else free_port()
    key = tmp_path / "stranger_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    inv = inventory(tmp_path, sshd, [host_line(
        "pw", "127.0.0.11", ansible_password=SECRET, ansible_port=port,
        ansible_ssh_private_key_file=key)])
    text = "- hosts: all\n  gather_facts: false\n  tasks:\n    - ping:\n"
    done = run(tmp_path, text, inv, "-vvv", timeout=60)
    assert done.returncode == 4, done.stdout + done.stderr
    assert "UNREACHABLE!" in done.stdout
    assert SECRET not in done.stdout + done.stderr
    done = run(tmp_path, text, inv, "-o", "json", timeout=60)
    assert '"unreachable": true' in done.stdout
    assert SECRET not in done.stdout + done.stderr
