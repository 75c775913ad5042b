"""Custom modules in `library/`: miniplay's JSON contract, Ansible's WANT_JSON, and modules
that misbehave (non-JSON output, non-zero exit without JSON, a hang under `timeout:`);
plus the example `sqlite_query` module in examples/library/."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_LIBRARY = REPO / "examples" / "library"


def play(tmp_path: Path, tasks: str, *flags: str) -> tuple[int, list[dict[str, Any]]]:
    """Run `tasks` on localhost (miniplay -o json); exit code and each task's result."""
    book = tmp_path / "site.yml"
    book.write_text("- hosts: localhost\n  gather_facts: false\n  tasks:\n"
                    + textwrap.indent(textwrap.dedent(tasks), "    "))
    done = subprocess.run([sys.executable, "-m", "miniplay", str(book), "-o", "json", *flags],
                          capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"},
                          check=False, timeout=120)
    document = json.loads(done.stdout[done.stdout.index("{"):])
    results = [task["hosts"]["localhost"] for task in document["plays"][0]["tasks"]]
    return done.returncode, results


def library(tmp_path: Path, name: str, source: str, executable: bool = False) -> None:
    path = tmp_path / "library" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(textwrap.dedent(source))
    if executable:
        path.chmod(0o755)


def test_json_contract_module_gets_its_args_and_check_mode(tmp_path: Path) -> None:
    library(tmp_path, "greet.py", """
        import json, sys
        args = json.load(sys.stdin)
        print(json.dumps({"changed": False, "hello": args["name"],
                          "check": args["_ansible_check_mode"]}))
    """)
    code, results = play(tmp_path, "- greet: {name: bob}\n", "-C")
    assert code == 0
    assert (results[0]["hello"], results[0]["check"]) == ("bob", True)


def test_want_json_executable_runs_unchanged(tmp_path: Path) -> None:
    library(tmp_path, "want", """\
        #!/bin/sh
        # WANT_JSON
        printf '{"changed": true, "args": %s}' "$(cat "$1")"
    """, executable=True)
    code, results = play(tmp_path, "- want: {a: 1}\n")
    assert code == 0
    assert results[0]["changed"] is True
    assert results[0]["args"]["a"] == 1


def test_module_printing_non_json_fails_clearly(tmp_path: Path) -> None:
    library(tmp_path, "junk.py", 'print("this is not json")\n')
    code, results = play(tmp_path, "- junk:\n")
    assert code == 2
    assert results[0]["msg"] == "Module result deserialization failed: No start of json char found"
    assert results[0]["module_stdout"] == "this is not json\n"


def test_module_exiting_non_zero_without_json_fails_with_stderr(tmp_path: Path) -> None:
    library(tmp_path, "dies.py", """
        import sys
        sys.stderr.write("boom on stderr\\n")
        sys.exit(3)
    """)
    _, results = play(tmp_path, "- dies:\n")
    assert (results[0]["rc"], results[0]["module_stderr"]) == (3, "boom on stderr\n")
    assert results[0]["failed"] is True


def test_hanging_module_times_out(tmp_path: Path) -> None:
    library(tmp_path, "hangs.py", "import time\ntime.sleep(60)\n")
    _, results = play(tmp_path, "- hangs:\n  timeout: 1\n")
    assert results[0]["msg"] == "Task failed: Timed out after 1 second(s)."


def test_ansible_module_utils_module_is_refused_before_running(tmp_path: Path) -> None:
    library(tmp_path, "old.py", "from ansible.module_utils.basic import AnsibleModule\n")
    book = tmp_path / "site.yml"
    book.write_text("- hosts: localhost\n  gather_facts: false\n  tasks:\n    - old:\n")
    done = subprocess.run([sys.executable, "-m", "miniplay", str(book)], capture_output=True,
                          text=True, check=False, timeout=60)
    assert done.returncode != 0
    assert "module_utils" in done.stdout + done.stderr


def sqlite_play(tmp_path: Path, tasks: str, *flags: str) -> tuple[int, list[dict[str, Any]]]:
    shutil.copytree(EXAMPLE_LIBRARY, tmp_path / "library")
    return play(tmp_path, tasks, *flags)


def test_sqlite_query_creates_inserts_selects(tmp_path: Path) -> None:
    db = tmp_path / "app.db"
    code, results = sqlite_play(tmp_path, f"""\
        - sqlite_query: {{db: {db}, query: "CREATE TABLE IF NOT EXISTS t (id INTEGER, name TEXT)"}}
        - sqlite_query: {{db: {db}, query: "CREATE TABLE IF NOT EXISTS t (id INTEGER, name TEXT)"}}
        - sqlite_query: {{db: {db}, query: "INSERT INTO t VALUES (?, ?)", params: [1, ann]}}
        - sqlite_query: {{db: {db}, query: "SELECT name FROM t WHERE id = :id", params: {{id: 1}}}}
    """)
    assert code == 0
    assert [r["changed"] for r in results] == [True, False, True, False]
    assert results[3]["rows"] == [{"name": "ann"}]


def test_sqlite_query_check_mode_rolls_back(tmp_path: Path) -> None:
    db = tmp_path / "app.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE t (id INTEGER)")
    _, results = sqlite_play(tmp_path, f"- sqlite_query: {{db: {db}, query: 'INSERT INTO t "
                                       "VALUES (1)'}\n", "-C")
    assert results[0]["changed"] is True
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == 0


def test_sqlite_query_errors(tmp_path: Path) -> None:
    db = tmp_path / "none.db"
    _, results = sqlite_play(tmp_path, f"""\
        - sqlite_query: {{db: {db}, query: "SELECT 1", create: false}}
          ignore_errors: true
        - sqlite_query: {{db: {db}, query: "SELEC nonsense"}}
          ignore_errors: true
    """)
    assert results[0]["msg"] == f"database {db} does not exist (set create: true to make it)"
    assert results[1]["msg"].startswith('SQL error: near "SELEC"')


def test_sqlite_query_schema_is_used_by_validate(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLE_LIBRARY, tmp_path / "library")
    book = tmp_path / "site.yml"
    book.write_text("- hosts: localhost\n  gather_facts: false\n  tasks:\n"
                    "    - sqlite_query: {db: x.db, querry: SELECT 1}\n")
    done = subprocess.run([sys.executable, "-m", "miniplay", "validate", str(book)],
                          capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode != 0
    assert "querry" in done.stdout + done.stderr


def test_a_library_module_is_found_whatever_its_extension(tmp_path: Path) -> None:
    """Ansible finds `library/greet.sh` as module `greet`; docs and schemas beside it are
    not modules. Validation and the run agree."""
    library(tmp_path, "greet.sh", """\
        #!/bin/sh
        # WANT_JSON
        printf '{"changed": false, "said": "hi"}'
    """, executable=True)
    library(tmp_path, "greet.md", "# docs, not a module\n")
    code, results = play(tmp_path, "- greet: {}\n")
    assert code == 0
    assert results[0]["said"] == "hi"
    checked = subprocess.run([sys.executable, "-m", "miniplay", "validate",
                              str(tmp_path / "site.yml")], capture_output=True, text=True,
                             check=False)
    assert checked.returncode == 0, checked.stdout


def test_module_name_rules() -> None:
    from miniplay.paths import module_name

    assert [module_name(n) for n in ("a.py", "a.sh", "a", "a.md", "a.schema.json",
                                     "_helper.py", ".a.swp", "a~")] == [
        "a", "a", "a", None, None, None, None, None]
