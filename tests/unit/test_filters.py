"""Filters, called through a Templar (as users reach them) and directly."""

from __future__ import annotations

from typing import Any

import pytest

from miniplay.errors import TemplateError
from miniplay.plugins import filters, filters_data
from miniplay.templating import Templar
from miniplay.unsafe import UnsafeText


@pytest.fixture(scope="module")
def templar() -> Templar:
    return Templar()


def render(templar: Templar, template: str, **variables: Any) -> Any:
    return templar.render(template, variables)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("yes", True),
        ("On", True),
        ("TRUE", True),
        ("1", True),
        (1, True),
        (True, True),
        ("no", False),
        ("off", False),
        ("0", False),
        (0, False),
        ("foo", False),
        (None, False),
        (1.0, True),
        ("", False),
    ],
)
def test_bool(value: Any, expected: bool) -> None:
    assert filters.to_bool(value) is expected


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        (
            "{{ {'b': 1, 'a': [1, 2]} | to_nice_json }}",
            '{\n    "a": [\n        1,\n        2\n    ],\n    "b": 1\n}',
        ),
        ("{{ {'b': 1} | to_json }}", '{"b": 1}'),
        ("{{ '[1, {\"a\": null}]' | from_json }}", [1, {"a": None}]),
        ("{{ 'a: yes\nb: 0644' | from_yaml }}", {"a": True, "b": 420}),
        ("{{ {'a': [1, 2]} | to_yaml }}", "a: [1, 2]\n"),
        ("{{ {'a': {'b': 1}} | to_nice_yaml }}", "a:\n    b: 1\n"),
        ("{{ 'abc' | regex_search('z') }}", None),
        ("{{ 'abc' | regex_search('(b)(c)', '\\1') }}", ["b"]),
        ("{{ 'ABC' | regex_search('b', ignorecase=true) }}", "B"),
        ("{{ 'a1b2' | regex_findall('\\d') }}", ["1", "2"]),
        ("{{ 'a.b' | regex_replace('\\.', '-') }}", "a-b"),
        ("{{ 'a*' | regex_escape }}", "a\\*"),
        ("{{ 'x' | b64encode | b64decode }}", "x"),
        ("{{ 'a b' | quote }}", "'a b'"),
        ("{{ 'x' | hash('sha256') | length }}", 64),
        ("{{ '/a/b.c' | splitext | list }}", ["/a/b", ".c"]),
        ("{{ '~' | expanduser != '~' }}", True),
        ("{{ 'a b c' | split }}", ["a", "b", "c"]),
        ("{{ x | ternary(1, 2) }}", 2),
        ("{{ x | type_debug }}", "bool"),
        ("{{ '2024-01-02 03:04:05' | to_datetime | type_debug }}", "datetime"),
        ("{{ '%Y' | strftime(0, utc=true) }}", "1970"),
        ("{{ 'a' | comment }}", "#\n# a\n#"),
        ("{{ 1048576 | human_readable }}", "1.00 MB"),
    ],
)
def test_core_filters(templar: Templar, template: str, expected: Any) -> None:
    assert render(templar, template, x=False) == expected


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        (
            "{{ {'a': {'x': 1}, 'l': [1]} | combine({'a': {'y': 2}, 'l': [2]}) }}",
            {"a": {"y": 2}, "l": [2]},
        ),
        (
            "{{ {'a': {'x': 1}} | combine({'a': {'y': 2}}, recursive=true) }}",
            {"a": {"x": 1, "y": 2}},
        ),
        ("{{ {'l': [1, 2]} | combine({'l': [2, 3]}, list_merge='append_rp') }}", {"l": [1, 2, 3]}),
        ("{{ {'l': [1, 2]} | combine({'l': [2, 3]}, list_merge='prepend') }}", {"l": [2, 3, 1, 2]}),
        ("{{ {'l': [1]} | combine({'l': [2]}, list_merge='keep') }}", {"l": [1]}),
        ("{{ [{'a': 1}, {'a': 2, 'b': 3}] | combine }}", {"a": 2, "b": 3}),
        ("{{ [1, [2, None, [3]]] | flatten }}", [1, 2, 3]),
        ("{{ [1, [2, [3]]] | flatten(levels=1) }}", [1, 2, [3]]),
        ("{{ {'a': 1} | dict2items(key_name='k', value_name='v') }}", [{"k": "a", "v": 1}]),
        ("{{ [{'key': 'a', 'value': 1}] | items2dict }}", {"a": 1}),
        ("{{ [3, 1, 3] | union([2, 1]) }}", [3, 1, 2]),
        ("{{ [3, 1, 2] | intersect([2, 3]) }}", [3, 2]),
        ("{{ [3, 1, 2] | difference([2]) }}", [3, 1]),
        ("{{ [1, 2] | symmetric_difference([2, 3]) }}", [1, 3]),
        ("{{ [1, 2] | zip_longest(['a']) }}", [[1, "a"], [2, None]]),
        ("{{ [1] | product([2], [3]) }}", [[1, 2, 3]]),
        ("{{ [{'n': 1, 'l': [1, 2]}] | subelements('l') | length }}", 2),
        ("{{ [{'n': 1}] | subelements('l', skip_missing=true) }}", []),
        ("{{ [5, 6] | random(seed='s') in [5, 6] }}", True),
        ("{{ [1, 2, 3] | shuffle(seed=1) | sort }}", [1, 2, 3]),
    ],
)
def test_data_filters(templar: Templar, template: str, expected: Any) -> None:
    assert render(templar, template) == expected


@pytest.mark.parametrize(
    ("template", "message"),
    [
        (
            "{{ x | mandatory }}",
            "The filter plugin 'ansible.builtin.mandatory' failed: "
            "Mandatory variable 'x' not defined.",
        ),
        (
            "{{ x | mandatory('set x') }}",
            "The filter plugin 'ansible.builtin.mandatory' failed: set x",
        ),
        (
            "{{ 'x' | from_json }}",
            "The filter plugin 'ansible.builtin.from_json' failed: "
            "Expecting value: line 1 column 1 (char 0)",
        ),
        (
            "{{ 1 | dict2items }}",
            "The filter plugin 'ansible.builtin.dict2items' failed: "
            "dict2items requires a dictionary, got <class 'int'> instead.",
        ),
        (
            "{{ {} | combine({}, list_merge='bad') }}",
            "The filter plugin 'ansible.builtin.combine' "
            "failed: 'bad' is not a valid list_merge value; use one of append, append_rp, keep, "
            "prepend, prepend_rp, replace",
        ),
        (
            "{{ [{'n': 1}] | subelements('l') }}",
            "The filter plugin 'ansible.builtin.subelements' "
            "failed: could not find 'l' key in iterated item {'n': 1}",
        ),
        (
            "{{ 'a' | regex_replace('a', 'b', mandatory_count=2) }}",
            "The filter plugin "
            "'ansible.builtin.regex_replace' failed: 'a' should match 2 times, but matches 1 times "
            "in 'a'",
        ),
        (
            "{{ 'x' | hash('nope') }}",
            "The filter plugin 'ansible.builtin.hash' failed: unsupported hash type nope",
        ),
    ],
)
def test_filter_errors(templar: Templar, template: str, message: str) -> None:
    with pytest.raises(TemplateError) as info:
        templar.render(template, {})
    assert info.value.message == message


def test_filters_do_not_change_input() -> None:
    low = {"a": {"x": [1]}}
    filters_data.combine(low, {"a": {"x": [2]}}, recursive=True, list_merge="append")
    assert low == {"a": {"x": [1]}}


def test_from_yaml_of_unsafe_text_is_unsafe() -> None:
    result = filters.from_yaml(UnsafeText("k: '{{ x }}'"))
    assert isinstance(result["k"], UnsafeText)


def test_serialisers_accept_unsafe_text() -> None:
    data = {UnsafeText("k"): (UnsafeText("v"),)}
    assert filters.to_json(data) == '{"k": ["v"]}'
    assert filters.to_yaml(data) == "k: [v]\n"


def test_default_with_boolean() -> None:
    assert filters.default(0, 5) == 0
    assert filters.default(0, 5, True) == 5
