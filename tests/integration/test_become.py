"""Privilege escalation on the local connection with real sudo and su.

Needs root (CI runs as root) to create a throwaway user; sudo from root needs no
password, so this covers the command line, the marker handshake, the become user's
async directory and file ownership. The password path is covered where it can run
without a terminal: the password never appears on any command line.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from miniplay.connection.become import Become

USER = "mpbecome"
NEEDS = [os.geteuid() == 0, shutil.which("sudo") is not None, shutil.which("useradd") is not None]


@pytest.fixture(scope="module")
def become_user() -> str:
    if not all(NEEDS):
        if os.environ.get("CI"):
            pytest.fail("become tests need root, sudo and useradd in CI")
        pytest.skip("needs root, sudo and useradd")
    try:
        pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "-m", "-s", "/bin/sh", USER], check=True)
    return USER


def run(tmp_path: Path, text: str) -> subprocess.CompletedProcess[str]:
    book = tmp_path / "become.yml"
    book.write_text(text)
    return subprocess.run([sys.executable, "-m", "miniplay", str(book)], capture_output=True,
                          text=True, timeout=120, check=False,
                          env={**os.environ, "NO_COLOR": "1"})


def test_tasks_and_async_jobs_run_as_the_become_user(tmp_path: Path, become_user: str) -> None:
    home = pwd.getpwnam(become_user).pw_dir
    done = run(tmp_path, f"""
- hosts: localhost
  gather_facts: false
  vars:
    ansible_python_interpreter: /usr/bin/python3
  tasks:
    - command: whoami
      become: true
      become_user: {become_user}
      register: sudo_who
    - command: whoami
      register: me
    - raw: id -un
      become: true
      become_user: {become_user}
      register: raw_who
    - command: whoami
      become: true
      become_method: su
      become_user: {become_user}
      register: su_who
    - shell: touch {home}/made-by-become && stat -c %U {home}/made-by-become
      become: true
      become_user: {become_user}
      register: owner
    - command: sleep 1
      async: 20
      poll: 0
      become: true
      become_user: {become_user}
    - async_status:
        jid: "{{{{ async_jid }}}}"
      become: true
      become_user: {become_user}
      register: job
      until: job is finished
      retries: 20
      delay: 1
    - assert:
        that:
          - sudo_who.stdout == '{become_user}'
          - me.stdout == 'root'
          - raw_who.stdout | trim == '{become_user}'
          - su_who.stdout == '{become_user}'
          - owner.stdout == '{become_user}'
          - job.results_file.startswith('{home}/.ansible_async/')
""")
    assert done.returncode == 0, done.stdout + done.stderr


def test_unknown_become_user_is_a_clear_failure(tmp_path: Path, become_user: str) -> None:
    done = run(tmp_path, """
- hosts: localhost
  gather_facts: false
  tasks:
    - command: whoami
      become: true
      become_user: no-such-user-here
""")
    assert done.returncode == 4
    assert "privilege escalation (sudo to no-such-user-here) failed" in done.stdout


def test_the_password_is_never_on_a_command_line() -> None:
    secret = "s3cr3t-pw"
    become = Become("sudo", "root", "", secret)
    argv = become.wrap_argv(["python3", "-c", "pass"])
    assert secret not in " ".join(argv)
    assert secret not in become.wrap_command("id")
    assert secret not in repr(become)


@pytest.mark.ssh
def test_become_over_ssh(tmp_path: Path, become_user: str, sshd: object) -> None:
    from ssh_cli import host_line, inventory
    from ssh_cli import run as ssh_run

    inv = inventory(tmp_path, sshd, [host_line("h01", "127.0.0.1")])  # type: ignore[arg-type]
    done = ssh_run(tmp_path, f"""
- hosts: all
  gather_facts: false
  tasks:
    - command: whoami
      become: true
      become_user: {become_user}
      register: who
    - raw: id -un
      become: true
      become_user: {become_user}
      register: raw_who
    - command: whoami
      register: plain
    - assert:
        that:
          - who.stdout == '{become_user}'
          - raw_who.stdout | trim == '{become_user}'
          - plain.stdout == 'root'
""", inv)
    assert done.returncode == 0, done.stdout + done.stderr
