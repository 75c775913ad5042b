"""Jinja tests through a Templar (lookups: test_lookups.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from miniplay.errors import TemplateError
from miniplay.plugins import plugin_filters, plugin_tests
from miniplay.templating import Templar


@pytest.fixture
def base(tmp_path: Path) -> Path:
    (tmp_path / "files").mkdir()
    (tmp_path / "templates").mkdir()
    (tmp_path / "files" / "a.txt").write_text("from files\n\n")
    (tmp_path / "b.txt").write_text("beside\n")
    (tmp_path / "templates" / "t.j2").write_text("n={{ n }}\n")
    return tmp_path


@pytest.fixture
def templar(base: Path) -> Templar:
    return Templar(lookup_base_dir=str(base))


def render(templar: Templar, template: str, **variables: Any) -> Any:
    return templar.render(template, variables)


class TestResultTests:
    @pytest.mark.parametrize(
        ("test", "result", "expected"),
        [
            ("failed", {"failed": True}, True),
            ("failure", {}, False),
            ("succeeded", {"failed": False}, True),
            ("success", {"skipped": True}, True),
            ("successful", {"failed": True}, False),
            ("changed", {"changed": True}, True),
            ("change", {}, False),
            ("changed", {"results": [{"changed": False}, {"changed": True}]}, True),
            ("skipped", {"skipped": True}, True),
            ("skip", {}, False),
            ("finished", {"finished": 0}, False),
            ("finished", {}, True),
            ("started", {"started": 1}, True),
            ("started", {}, True),
            ("unreachable", {"unreachable": True}, True),
            ("reachable", {"unreachable": True}, False),
            ("timedout", {"timedout": {"period": 3}}, True),
            ("timedout", {"failed": True}, False),
        ],
    )
    def test_truth(
        self, templar: Templar, test: str, result: dict[str, Any], expected: bool
    ) -> None:
        assert render(templar, f"{{{{ r is {test} }}}}", r=result) is expected

    @pytest.mark.parametrize("test", ["failed", "succeeded", "changed", "skipped", "finished"])
    def test_non_dict(self, templar: Templar, test: str) -> None:
        with pytest.raises(TemplateError) as info:
            render(templar, f"{{{{ r is {test} }}}}", r="x")
        assert info.value.message == (
            f"The test plugin 'ansible.builtin.{test}' failed: "
            f"The '{test}' test expects a dictionary"
        )
        assert info.value.hint is not None


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ '2.10' is version('2.9', '>') }}", True),
        ("{{ '2.10' is version('2.9', 'lt') }}", False),
        ("{{ '1.0' is version('1.0', '==') }}", True),
        ("{{ '1.0' is version('1.0.0', '<') }}", True),
        ("{{ '1.0rc1' is version_compare('1.0', '>=') }}", True),
        ("{{ '1.2' is version('1.10', '<=', version_type='strict') }}", True),
        ("{{ 'abc' is match('b') }}", False),
        ("{{ 'abc' is search('b') }}", True),
        ("{{ 'abc' is regex('^a', match_type='match') }}", True),
        ("{{ 'ABC' is search('b', ignorecase=true) }}", True),
        ("{{ 'yes' is truthy(convert_bool=true) }}", True),
        ("{{ 0 is falsy }}", True),
        ("{{ [1, 2] is contains(2) }}", True),
        ("{{ [1] is subset([1, 2]) }}", True),
        ("{{ [1, 2] is superset([3]) }}", False),
        ("{{ 1 is in [1] }}", True),
        ("{{ '/' is directory }}", True),
        ("{{ '/' is file }}", False),
        ("{{ 'rel' is abs }}", False),
        ("{{ '/' is exists }}", True),
        ("{{ '/' is link }}", False),
    ],
)
def test_other_tests(templar: Templar, template: str, expected: bool) -> None:
    assert render(templar, template) is expected


def test_bad_version_operator(templar: Templar) -> None:
    with pytest.raises(TemplateError, match=r"Invalid operator type \(~\)"):
        render(templar, "{{ '1' is version('2', '~') }}")


def test_registries_are_fresh_dicts() -> None:
    first, second = plugin_filters(), plugin_filters()
    assert first is not second
    assert {"default", "d", "combine", "to_nice_json", "regex_search"} <= set(first)
    assert {"failed", "version", "timedout", "file"} <= set(plugin_tests())


def test_templars_do_not_share_environments() -> None:
    one, two = Templar(), Templar()
    assert one._env is not two._env
