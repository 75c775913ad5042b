"""Inventory sources, reconciliation, group/host vars layering and the public API."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from miniplay.inventory import Inventory, implicit_localhost_vars, load_inventory
from miniplay.inventory_build import expand_hostname, split_port
from miniplay.inventory_ini import parse_value


def write(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return str(path)


def ini(tmp_path: Path, text: str, playbook_dir: str | None = None) -> Inventory:
    return load_inventory([write(tmp_path / "hosts.ini", text)], playbook_dir)


# --- INI ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("5", 5), ("1.5", 1.5), ("True", True), ("true", "true"), ("yes", "yes"),
        ("hello", "hello"), ("[1,2]", [1, 2]), ("{'k': 1}", {"k": 1}), ("'5'", "5"),
        ("(1, 2)", [1, 2]), ("1+2j", "(1+2j)"), ("...", "..."), ("None", None),
        ("a=b", "a=b"), ("", ""), ("b'x'", "x"),
    ],
)
def test_ini_values_go_through_literal_eval(text: str, value: Any) -> None:
    assert parse_value(text) == value


def test_ini_spec_example(tmp_path: Path) -> None:
    inventory = ini(tmp_path, """\
ungrouped1 num=5 word=hello lst="[1,2]"   # before any section
[web]
web[01:03] ansible_connection=local
[alpha]
node-[a:c]
[step]
s[01:06:2]
[g]
x1 ansible_host=127.0.0.1 ansible_port=2222 ansible_user=deploy
h2:2200
[g:vars]
gnum=5
[prod:children]
web
g
""")
    assert list(inventory.hosts) == ["ungrouped1", "web01", "web02", "web03", "node-a",
                                     "node-b", "node-c", "s01", "s03", "s05", "x1", "h2"]
    assert dict(inventory.hosts["ungrouped1"].vars) == {"num": 5, "word": "hello", "lst": [1, 2]}
    assert inventory.hosts["h2"].vars == {"ansible_port": 2200}
    assert inventory.groups["g"].vars == {"gnum": 5}
    assert inventory.groups["prod"].children == ("web", "g")
    assert inventory.groups["ungrouped"].hosts == ("ungrouped1",)
    assert inventory.groups["all"].children == ("ungrouped", "alpha", "step", "prod")


def test_ini_comments_blank_lines_and_semicolons(tmp_path: Path) -> None:
    inventory = ini(tmp_path, "# c\n; c\n\n   \n[web]  # trailing\nw1 a=1 # comment\n")
    assert list(inventory.hosts) == ["w1"]
    assert inventory.hosts["w1"].vars == {"a": 1}


def test_ini_group_vars_keep_the_rest_of_the_line(tmp_path: Path) -> None:
    inventory = ini(tmp_path, "[g]\nh\n[g:vars]\nmsg = hello world # not a comment\n")
    assert inventory.groups["g"].vars == {"msg": "hello world # not a comment"}


def test_ini_children_may_be_declared_before_their_group(tmp_path: Path) -> None:
    inventory = ini(tmp_path, "[prod:children]\nweb\n[web]\nw1\n[web:vars]\nx=1\n")
    assert inventory.groups["prod"].children == ("web",)
    assert inventory.groups["web"].parents == ("prod",)
    assert inventory.groups_of("w1") == ["prod", "web"]


def test_ini_port_inline_var_beats_host_port(tmp_path: Path) -> None:
    inventory = ini(tmp_path, "[g]\nh:2200 ansible_port=2300\n")
    assert inventory.hosts["h"].vars == {"ansible_port": 2300}


def test_ini_host_in_two_groups_merges_vars(tmp_path: Path) -> None:
    inventory = ini(tmp_path, "[a]\nh x=1 y=1\n[b]\nh y=2\n")
    assert inventory.hosts["h"].vars == {"x": 1, "y": 2}
    assert inventory.groups["ungrouped"].hosts == ()


def test_ini_all_section_hosts_are_ungrouped(tmp_path: Path) -> None:
    inventory = ini(tmp_path, "[all]\nh\n[all:vars]\nv=1\n")
    assert inventory.groups["ungrouped"].hosts == ("h",)
    assert inventory.groups["all"].vars == {"v": 1}


def test_group_priority_is_not_a_variable(tmp_path: Path) -> None:
    inventory = ini(tmp_path, "[g]\nh\n[g:vars]\nansible_group_priority=7\n")
    assert inventory.groups["g"].priority == 7
    assert inventory.groups["g"].vars == {}


def test_group_and_host_with_same_name_warns(tmp_path: Path) -> None:
    inventory = ini(tmp_path, "[web]\nweb\n")
    assert inventory.warnings == ("Found both group and host with same name: web",)


# --- ranges and ports ----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("pattern", "names"),
    [
        ("web[01:03]", ["web01", "web02", "web03"]),
        ("node-[a:c]", ["node-a", "node-b", "node-c"]),
        ("s[01:06:2]", ["s01", "s03", "s05"]),
        ("h[:2]", ["h0", "h1", "h2"]),
        ("r[1:2]-[a:b]", ["r1-a", "r1-b", "r2-a", "r2-b"]),
        ("x[8:10].lan", ["x8.lan", "x9.lan", "x10.lan"]),
        ("plain", ["plain"]),
    ],
)
def test_expand_hostname(pattern: str, names: list[str]) -> None:
    assert expand_hostname(pattern) == names


@given(st.integers(0, 50), st.integers(0, 50), st.integers(1, 5))
def test_numeric_range_expands_like_python_range(begin: int, span: int, step: int) -> None:
    names = expand_hostname(f"h[{begin}:{begin + span}:{step}]")
    assert names == [f"h{n}" for n in range(begin, begin + span + 1, step)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("h1:2222", ("h1", 2222)), ("h1", ("h1", None)), ("user@h2:22", ("user@h2:22", None)),
        ("[::1]:2222", ("::1", 2222)), ("::1", ("::1", None)), ("10.0.0.1:22", ("10.0.0.1", 22)),
        ("web[1:3]:22", ("web[1:3]", 22)),
    ],
)
def test_split_port(text: str, expected: tuple[str, int | None]) -> None:
    assert split_port(text) == expected


# --- YAML ----------------------------------------------------------------------------------

YAML_SPEC = """\
all:
  vars: {env: dev}
  hosts: {solo: {ansible_connection: local}}
  children:
    web:
      hosts: {"w[1:2]": {ansible_connection: local}}
      vars: {http_port: 8080, flag: on}
    lb:
      hosts: {lb1: }
      children: {web: }
    one: {hosts: lone, children: web}
    empty:
"""


def test_yaml_spec_example(tmp_path: Path) -> None:
    inventory = load_inventory([write(tmp_path / "inv.yml", YAML_SPEC)], None)
    assert list(inventory.hosts) == ["solo", "w1", "w2", "lb1", "lone"]
    assert inventory.groups["web"].parents == ("all", "lb", "one")
    assert inventory.groups["web"].vars == {"http_port": 8080, "flag": True}
    assert inventory.groups["ungrouped"].hosts == ("solo",)
    assert inventory.groups["all"].hosts == ("solo",)
    assert "empty" in inventory.groups
    assert inventory.groups_of("w1") == ["lb", "one", "web"]


def test_unsuffixed_yaml_file_is_read_as_yaml(tmp_path: Path) -> None:
    inventory = load_inventory([write(tmp_path / "hosts", YAML_SPEC)], None)
    assert "lone" in inventory.hosts


def test_json_inventory(tmp_path: Path) -> None:
    path = write(tmp_path / "inv.json", '{"all": {"hosts": {"j1": {"n": 1}}}}')
    assert load_inventory([path], None).hosts["j1"].vars == {"n": 1}


# --- host lists, directories, several sources ----------------------------------------------

def test_host_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    inventory = load_inventory(["h1,h2:2222,user@h3,h1:2300,  ,web[1:2]"], None)
    assert list(inventory.hosts) == ["h1", "h2", "user@h3", "web[1:2]"]
    assert inventory.hosts["h2"].vars == {"ansible_port": 2222}
    assert inventory.hosts["h1"].vars == {}
    assert inventory.vars_dirs == ()


def test_single_host_needs_trailing_comma(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert list(load_inventory(["solo,"], None).hosts) == ["solo"]


def test_directory_source_skips_vars_dirs_hidden_and_ignored(tmp_path: Path) -> None:
    write(tmp_path / "inv" / "a.ini", "[a]\na1\n")
    write(tmp_path / "inv" / "b.yml", "all: {hosts: {b1: }}\n")
    write(tmp_path / "inv" / "sub" / "c", "c1\n")
    for skipped in ("README.md", "x.retry", ".hidden", "notes.txt", "old.bak", "f~"):
        write(tmp_path / "inv" / skipped, "[broken\n")
    write(tmp_path / "inv" / "group_vars" / "a.yml", "from_dir: 1\n")
    inventory = load_inventory([str(tmp_path / "inv")], None)
    assert list(inventory.hosts) == ["a1", "b1", "c1"]
    assert inventory.host_vars("a1") == {"from_dir": 1}


def test_sources_merge_in_order(tmp_path: Path) -> None:
    first = write(tmp_path / "one" / "hosts", "[g]\nh v=1 only1=1\n")
    second = write(tmp_path / "two" / "inv.yml", "all: {children: {g: {hosts: {h: {v: 2}}}}}\n")
    inventory = load_inventory([first, second], None)
    assert inventory.hosts["h"].vars == {"v": 2, "only1": 1}
    assert inventory.sources == (first, second)
    assert [d.base for d in inventory.vars_dirs] == [str(tmp_path / "one"), str(tmp_path / "two")]


def test_no_sources_gives_empty_inventory() -> None:
    inventory = load_inventory([], None)
    assert dict(inventory.hosts) == {}
    assert set(inventory.groups) == {"all", "ungrouped"}
    assert inventory.select("all") == []
    assert inventory.select("localhost") == ["localhost"]
    assert inventory.groups_map() == {"all": [], "ungrouped": []}


def test_inventory_is_frozen(tmp_path: Path) -> None:
    inventory = ini(tmp_path, "[g]\nh a=1\n")
    with pytest.raises(dataclasses.FrozenInstanceError):
        inventory.sources = ()  # type: ignore[misc]
    with pytest.raises(TypeError):
        inventory.hosts["h"].vars["a"] = 2  # type: ignore[index]


# --- groups_of, groups_map, implicit localhost ---------------------------------------------

def test_groups_of_and_groups_map(tmp_path: Path) -> None:
    inventory = ini(tmp_path, "u\n[b]\nh\n[a:children]\nb\n[c]\nh\nx\n")
    assert inventory.groups_of("h") == ["a", "b", "c"]
    assert inventory.groups_of("u") == ["ungrouped"]
    assert inventory.groups_map() == {
        "all": ["u", "h", "x"], "ungrouped": ["u"], "b": ["h"], "a": ["h"], "c": ["h", "x"],
    }


def test_implicit_localhost(tmp_path: Path) -> None:
    inventory = ini(tmp_path, "[web]\nw1\n[all:vars]\nshared=1\nansible_connection=ssh\n")
    assert inventory.has_host("localhost")
    assert inventory.has_host("127.0.0.1")
    assert not inventory.has_host("nope")
    assert inventory.is_implicit("localhost")
    assert "localhost" not in inventory.select("all")
    assert inventory.groups_of("localhost") == []
    assert inventory.host_vars("localhost") == {
        "shared": 1, **implicit_localhost_vars(sys.executable)}


def test_explicit_localhost_is_an_ordinary_host(tmp_path: Path) -> None:
    inventory = ini(tmp_path, "[local]\nlocalhost ansible_connection=local\n")
    assert not inventory.is_implicit("localhost")
    assert inventory.select("all") == ["localhost"]
    assert inventory.host_vars("localhost") == {"ansible_connection": "local"}


def test_unknown_host_has_no_layers(tmp_path: Path) -> None:
    with pytest.raises(KeyError):
        ini(tmp_path, "h\n").var_layers("ghost")


# --- variable layers -------------------------------------------------------------------------

def test_group_order_depth_then_priority_then_name(tmp_path: Path) -> None:
    inventory = ini(tmp_path, """\
[b]
h
[a]
h
[z]
h
[top:children]
z
[b:vars]
v=b
[a:vars]
v=a
ansible_group_priority=3
[z:vars]
v=z
[top:vars]
v=top
[all:vars]
v=all
""")
    layers = inventory.var_layers("h")
    assert [layer["v"] for layer in layers] == ["all", "b", "top", "a", "z"]
    assert inventory.host_vars("h")["v"] == "z"


def test_layers_from_files_beside_inventory_and_playbook(tmp_path: Path) -> None:
    inv = tmp_path / "inv"
    play = tmp_path / "play"
    write(inv / "group_vars" / "all.yml", "l: gv_inv_all\n")
    write(inv / "group_vars" / "web" / "1.yml", "l: gv_inv_web_1\n")
    write(inv / "group_vars" / "web" / "2.json", '{"l": "gv_inv_web_2"}\n')
    write(inv / "host_vars" / "w1", "l: hv_inv\n")
    write(play / "group_vars" / "all.yaml", "l: gv_play_all\n")
    write(play / "group_vars" / "web.yml", "l: gv_play_web\n")
    write(play / "host_vars" / "w1.yml", "l: hv_play\n")
    source = write(
        inv / "hosts", "[web]\nw1 l=inv_host\n[web:vars]\nl=inv_web\n[all:vars]\nl=inv_all\n"
    )
    layers = load_inventory([source], str(play)).var_layers("w1")
    assert [layer["l"] for layer in layers] == [
        "inv_all", "inv_web", "gv_inv_all", "gv_play_all", "gv_inv_web_2", "gv_play_web",
        "inv_host", "hv_inv", "hv_play",
    ]


def test_vars_file_without_extension_wins_over_yml(tmp_path: Path) -> None:
    write(tmp_path / "group_vars" / "web", "pick: bare\n")
    write(tmp_path / "group_vars" / "web.yml", "pick: yml\n")
    inventory = ini(tmp_path, "[web]\nw\n")
    assert inventory.host_vars("w") == {"pick": "bare"}


def test_empty_vars_file_is_fine(tmp_path: Path) -> None:
    write(tmp_path / "host_vars" / "w.yml", "# nothing yet\n")
    assert ini(tmp_path, "w\n").host_vars("w") == {}


# --- patterns --------------------------------------------------------------------------------

PATTERN_INV = """\
[web]
web[01:03]
[db]
db1
web02
[prod:children]
web
"""


@pytest.mark.parametrize(
    ("pattern", "hosts"),
    [
        ("all", ["db1", "web02", "web01", "web03"]),  # breadth-first: db, then prod > web
        ("*", ["db1", "web02", "web01", "web03"]),
        ("db:web", ["db1", "web02", "web01", "web03"]),
        ("db,web", ["db1", "web02", "web01", "web03"]),
        ("web:&db", ["web02"]),
        ("web:!db", ["web01", "web03"]),
        ("!db:web", ["web01", "web03"]),
        ("&db:web", ["web02"]),
        ("!db", ["web01", "web03"]),
        ("web*", ["web01", "web02", "web03"]),
        ("~web0[13]", ["web01", "web03"]),
        ("web[0]", ["web01"]),
        ("web[1:]", ["web02", "web03"]),
        ("web[-1]", ["web03"]),
        ("web[0:1]", ["web01", "web02"]),
        ("prod", ["web01", "web02", "web03"]),
        ("web01:web01", ["web01"]),
        (["db", "web01"], ["db1", "web02", "web01"]),
        ("localhost:db", ["localhost", "db1", "web02"]),
        ("127.0.0.1", ["127.0.0.1"]),
    ],
)
def test_patterns(tmp_path: Path, pattern: str | list[str], hosts: list[str]) -> None:
    assert ini(tmp_path, PATTERN_INV).select(pattern) == hosts


def test_unmatched_pattern_warns(tmp_path: Path) -> None:
    selection = ini(tmp_path, PATTERN_INV).match("nosuch:db:nosuch")
    assert selection.hosts == ("db1", "web02")
    assert selection.warnings == ("Could not match supplied host pattern, ignoring: nosuch",)


def test_limit_intersects(tmp_path: Path) -> None:
    inventory = ini(tmp_path, PATTERN_INV)
    assert inventory.select("web", limit="db") == ["web02"]
    assert inventory.select("all", limit="web[0]:db1") == ["db1", "web01"]
    assert inventory.select("web", limit="") == ["web01", "web02", "web03"]
    assert inventory.select("web", limit="nosuch") == []


def test_limit_from_file(tmp_path: Path) -> None:
    inventory = ini(tmp_path, PATTERN_INV)
    write(tmp_path / "retry", "web03\n\ndb1\n")
    assert inventory.select("all", limit=f"@{tmp_path / 'retry'}") == ["db1", "web03"]
