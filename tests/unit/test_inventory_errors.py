"""Every inventory error a user can cause renders with a position, the line and a hint.

The files live in ``tests/fixtures/inventory/errors/``; the tests run from
``tests/fixtures/inventory`` so the rendered paths (and the snapshots) are stable.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from miniplay.errors import InventoryError, MiniplayError, UsageError, YamlError
from miniplay.inventory import HostPatternError, load_inventory

FIXTURES = Path(__file__).parent.parent / "fixtures" / "inventory"
ERROR_FILES = sorted(
    p.name for p in (FIXTURES / "errors").iterdir() if p.suffix in (".ini", ".yml")
)


@pytest.fixture(autouse=True)
def _in_fixtures(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES)


@pytest.mark.parametrize("name", ERROR_FILES)
def test_bad_inventory_file_renders(name: str, snapshot: SnapshotAssertion,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # yaml_duplicate.yml is an error only in this mode (by default a warning, as Ansible)
    monkeypatch.setenv("ANSIBLE_DUPLICATE_YAML_DICT_KEY", "error")
    with pytest.raises(MiniplayError) as caught:
        load_inventory([f"errors/{name}"], None)
    error = caught.value
    assert isinstance(error, (InventoryError, YamlError))
    assert error.pos is not None
    assert error.pos.file == f"errors/{name}"
    assert error.exit_code == 4
    assert error.render() == snapshot


def test_missing_source_is_a_warning_and_the_rest_is_read() -> None:
    """As in Ansible: `-i localhost` (no such file) warns; the other sources still count."""
    inventory = load_inventory(["localhost", "w1,w2,"], None)
    assert inventory.warnings == (
        f"Unable to parse {Path('localhost').absolute()} as an inventory source",)
    assert inventory.parsed == 1
    assert list(inventory.hosts) == ["w1", "w2"]


def test_vars_file_must_be_a_mapping(snapshot: SnapshotAssertion) -> None:
    with pytest.raises(InventoryError) as caught:
        load_inventory(["errors/badvars/hosts"], None)
    assert caught.value.render() == snapshot


def test_subscript_out_of_range(snapshot: SnapshotAssertion) -> None:
    inventory = load_inventory(["w1,w2,"], None)
    with pytest.raises(HostPatternError) as caught:
        inventory.select("ungrouped[5]")
    assert caught.value.render() == snapshot


def test_invalid_regex(snapshot: SnapshotAssertion) -> None:
    inventory = load_inventory(["w1,w2,"], None)
    with pytest.raises(HostPatternError) as caught:
        inventory.select("~(web")
    assert caught.value.render() == snapshot


def test_missing_limit_file(snapshot: SnapshotAssertion) -> None:
    inventory = load_inventory(["w1,w2,"], None)
    with pytest.raises(UsageError) as caught:
        inventory.select("all", limit="@no_such_file")
    assert caught.value.exit_code == 1
    assert caught.value.render() == snapshot
