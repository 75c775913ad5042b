"""`miniplay doc`: module pages and the list, read from the argument schemas."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from miniplay.doc import main_doc
from miniplay.paths import schemas_dir

REPO = Path(__file__).resolve().parents[2]


def doc(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main_doc(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("module", ["copy", "file", "lineinfile", "wait_for", "pause"])
def test_module_page(module: str, snapshot: SnapshotAssertion) -> None:
    code, out, err = doc(module)
    assert (code, err) == (0, "")
    assert out == snapshot


def test_page_shows_types_defaults_required_choices_aliases() -> None:
    _, out, _ = doc("stat")
    assert "= path\n" in out
    assert "aliases: dest, name" in out
    assert "choices: md5, sha1, sha224, sha256, sha384, sha512" in out
    assert "default: sha1" in out
    assert "type: boolean" in out
    assert "EXAMPLES:" in out or "OPTIONS" in out


def test_fqcn_names_resolve() -> None:
    assert doc("ansible.builtin.copy")[1] == doc("copy")[1]


def test_list() -> None:
    code, out, _ = doc("--list")
    assert code == 0
    names = [line.split()[0] for line in out.splitlines()]
    assert names == sorted(p.name.removesuffix(".schema.json")
                           for p in (schemas_dir() / "modules").glob("*.schema.json"))
    lines = out.splitlines()
    assert any(line.split() == ["copy", "Copy", "a", "file", "from", "the", "controller", "(or",
                                "content)", "to", "the", "host"] for line in lines)
    assert all("." not in line.split(None, 1)[1][-1:] for line in lines)


def test_every_module_schema_renders_with_a_description() -> None:
    for path in sorted((schemas_dir() / "modules").glob("*.schema.json")):
        schema = json.loads(path.read_text())
        assert schema.get("description"), path.name
        code, out, _ = doc(path.name.removesuffix(".schema.json"))
        assert code == 0
        assert out.startswith("> ")


def test_unknown_module_suggests() -> None:
    code, out, err = doc("coppy")
    assert (code, out) == (1, "")
    assert "did you mean copy?" in err


def test_usage_without_a_module() -> None:
    assert doc()[0] == 2


def test_library_schema_beside_the_playbook(snapshot: SnapshotAssertion) -> None:
    code, out, _ = doc("sqlite_query", "--playbook-dir", str(REPO / "examples"))
    assert code == 0
    assert out.replace(str(REPO), "<repo>") == snapshot
    listed = doc("--list", "--playbook-dir", str(REPO / "examples"))[1]
    assert "sqlite_query  " in listed or "sqlite_query " in listed
    assert doc("sqlite_query")[0] == 1
