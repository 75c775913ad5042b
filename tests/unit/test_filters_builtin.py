"""The ansible.builtin filters and tests added for issue #12, through a Templar.

Each expectation was checked against ansible-playbook 2.19 (see the conformance cases
filt_builtin_set, filt_option_errors, filt_unique_dicts, tmpl_undefined_args).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from miniplay.checks_jinja import JinjaChecker
from miniplay.errors import TemplateError
from miniplay.plugins import refusal
from miniplay.templating import Templar


@pytest.fixture
def templar() -> Templar:
    return Templar()


def render(templar: Templar, template: str, **variables: Any) -> Any:
    return templar.render(template, variables)


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ 'a' | extract({'a': 5}) }}", 5),
        ("{{ 'a' | extract({'a': {'b': 2}}, 'b') }}", 2),
        ("{{ 'z' | extract({'a': 5}) | default('none') }}", "none"),
        ("{{ ['/a', 'b', 'c'] | path_join }}", "/a/b/c"),
        ("{{ ['/a/b', '/a/c'] | commonpath }}", "/a"),
        ("{{ '/a/./b/../c' | normpath }}", "/a/c"),
        ("{{ 'C:\\\\x\\\\y.txt' | win_basename }}", "y.txt"),
        ("{{ 'a%20b+c' | urldecode }}", "a b c"),
        ("{{ 'http://u:p@h.com:90/p?q=1#f' | urlsplit('port') }}", 90),
        ("{{ 'http://u:p@h.com:90/p?q=1#f' | urlsplit('hostname') }}", "h.com"),
        ("{{ 'test' | to_uuid }}", "f4fb6740-9e00-5ac4-9581-f24b6ecfe71e"),
        ("{{ 100 | log(10) }}", 2.0),
        ("{{ 2 | pow(10) }}", 1024.0),
        ("{{ 27 | root(3) }}", 3.0),
        ("{{ 10 | human_readable }}", "10.00 Bytes"),
        ("{{ 10 | human_readable(isbits=True) }}", "10.00 bits"),
        ("{{ '2 MB' | human_to_bytes }}", 2097152),
        ("{{ '1Kb' | human_to_bytes(isbits=True) }}", 1024),
        ("{{ [{'n': 'a'}] | rekey_on_member('n') }}", {"a": {"n": "a"}}),
        ("{{ [1, 2, 3] | combinations(2) | length }}", 3),
        ("{{ [1, 2, 3] | permutations(2) | length }}", 6),
        ("{{ [1, 2] | zip(['a', 'b']) }}", [[1, "a"], [2, "b"]]),
        ("{{ ([1, 2] | zip(['a', 'b']))[0] | type_debug }}", "tuple"),
        ("{{ 'a: 1' | from_yaml_all }}", [{"a": 1}]),
        ("{{ none | from_yaml_all }}", []),
        ("{{ 'a' | comment('cblock') }}", "/*\n *\n * a\n *\n */"),
        ("{{ 'a' | comment('xml') }}", "<!--\n -\n - a\n -\n-->"),
        ("{{ 5 | random(seed=3) == 5 | random(seed=3) }}", True),
        ("{{ [1, 2, 3, 4] | shuffle(seed=2) | sort }}", [1, 2, 3, 4]),
        ("{{ 22 | shuffle }}", 22),
        ("{{ {} | bool }}", False),
        ("{{ ([1, 2, 3] | select('odd'))[1] }}", 3),
        ("{{ (ux | upper) is undefined }}", True),
        ("{{ ux | type_debug }}", "UndefinedMarker"),
        ("{{ [{'a': 1}, {'a': 1}] | unique }}", [{"a": 1}]),
        ("{{ ['a', 'A'] | unique }}", ["a"]),
        ("{{ ['a', 'A'] | unique(case_sensitive=True) }}", ["a", "A"]),
        ("{{ 'A' | ansible.builtin.lower }}", "a"),
        ("{{ [1] | ansible.legacy.to_json }}", "[1]"),
    ],
)
def test_filters(templar: Templar, template: str, expected: Any) -> None:
    assert render(templar, template) == expected


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ '1.2.3-rc1' is version('1.2.3', '<', version_type='semver') }}", True),
        ("{{ '1.2.3+b1' is version('1.2.3', '==', version_type='semver') }}", True),
        ("{{ '1.0a1' is version('1.0', '<', strict=true) }}", True),
        ("{{ '2.0' is version('10.1', '<') }}", True),
        ("{{ '1.0.post1' is version('1.0', '>', version_type='pep440') }}", True),
        ("{{ 'nan' | float is nan }}", True),
        ("{{ 1 is isnan }}", False),
        ("{{ [1, true] is all }}", True),
        ("{{ [0] is any }}", False),
        ("{{ 'http://x' is url }}", True),
        ("{{ 'x' is url }}", False),
        ("{{ 'urn:isbn:1' is urn }}", True),
        ("{{ '/' is is_dir }}", True),
        ("{{ '/' is is_abs }}", True),
        ("{{ 'yes' is truthy(convert_bool=True) }}", True),
        ("{{ 'no' is truthy(convert_bool=True) }}", False),
        ("{{ 'xx' is falsy(convert_bool=True) }}", False),
        ("{{ [1, 2] is subset([1, 2, 3]) }}", True),
        ("{{ 'x' is vault_encrypted }}", False),
        ("{{ 1 is ansible.builtin.odd }}", True),
    ],
)
def test_tests(templar: Templar, template: str, expected: bool) -> None:
    assert render(templar, template) is expected


def test_from_yaml_all_reads_every_document(templar: Templar) -> None:
    assert render(templar, "{{ text | from_yaml_all }}", text="a: 1\n---\nb: [2]\n") == [
        {"a": 1}, {"b": [2]}]


def test_vaulted_file(templar: Templar, tmp_path: Path) -> None:
    vaulted, plain = tmp_path / "v", tmp_path / "p"
    vaulted.write_text("$ANSIBLE_VAULT;1.1;AES256\n3132\n")
    plain.write_text("hello\n")
    assert render(templar, "{{ v is vaulted_file }} {{ p is vaulted_file }}",
                  v=str(vaulted), p=str(plain)) == "True False"
    with pytest.raises(TemplateError, match="Cannot test if the file"):
        render(templar, "{{ '/no/such' is vaulted_file }}")


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ [{'a': 1}] | unique(case_sensitive=False) }}",
         "Jinja2's unique filter failed and we cannot fall back"),
        ("{{ [{'a': 1}] | unique(attribute='b') }}", "has no attribute 'b'"),
        ("{{ 'x' | vault('s') }}", "the 'vault' filter is not supported"),
        ("{{ 'x' | unvault('s') }}", "the 'unvault' filter is not supported"),
        ("{{ 'x' | password_hash }}", "the 'password_hash' filter is not supported"),
        ("{{ '1.0' is version('1.0.0', version_type='semver') }}", "invalid semantic version"),
        ("{{ '1' is version('2', version_type='nope') }}", "Invalid version type (nope)"),
        ("{{ '1' is version('2', strict=True, version_type='loose') }}", "Cannot specify both"),
        ("{{ '1 Mb' | human_to_bytes }}", "expect MB or M"),
        ("{{ 'x' | comment('nope') }}", "Invalid style 'nope'."),
        ("{{ 'x' | comment(bogus=1) }}", "unknown comment option(s): bogus"),
        ("{{ {} | combine({}, foo=1) }}", "'recursive' and 'list_merge' are the only valid"),
        ("{{ 'x' | urlsplit('nope') }}", "unknown URL component: nope"),
        ("{{ -1 | root }}", "root() can only be used on numbers"),
        ("{{ 'x' | log }}", "log() can only be used on numbers"),
        ("{{ ux is string }}", "'ux' is undefined"),
    ],
)
def test_errors(templar: Templar, template: str, message: str) -> None:
    with pytest.raises(TemplateError) as caught:
        render(templar, template)
    assert message in caught.value.message


@pytest.mark.parametrize(
    ("kind", "name", "refused"),
    [
        ("filter", "to_json", False),
        ("filter", "ansible.builtin.lower", False),
        ("filter", "ansible.legacy.lower", True),
        ("filter", "ansible.legacy.to_uuid", False),
        ("filter", "vault", True),
        ("filter", "ansible.builtin.password_hash", True),
        ("filter", "community.general.json_query", True),
        ("test", "is_dir", False),
        ("test", "ansible.builtin.nosuch", True),
    ],
)
def test_refusal(kind: str, name: str, refused: bool) -> None:
    reason = refusal(kind, name)
    assert (reason is not None) is refused
    if refused:
        assert name in str(reason)


def test_static_check_reads_backslashes_as_a_run_does() -> None:
    checker = JinjaChecker()
    assert checker.problem("{{ 'C:\\x\\y.txt' | win_basename }}", False) is None
    assert checker.refused("{{ 'C:\\x' | win_dirname }}", False) == []
    assert Templar().render("{{ 'C:\\x\\y.txt' | win_basename }}", {}) == "y.txt"
