"""Templar: native values, trust, undefined handling, positions, static checks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from syrupy.assertion import SnapshotAssertion

from miniplay.errors import Position, TemplateError
from miniplay.templating import OMIT, Templar, TemplateSyntaxProblem, strip_omit
from miniplay.unsafe import UnsafeText

REPO = Path(__file__).resolve().parent.parent.parent
PLAYBOOK = "tests/fixtures/templating/playbook.yml"


@pytest.fixture
def templar() -> Templar:
    return Templar()


@pytest.fixture
def at_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def _error(call: Any, *args: Any) -> TemplateError:
    with pytest.raises(TemplateError) as info:
        call(*args)
    return info.value


class TestRender:
    @pytest.mark.parametrize(
        ("template", "expected"),
        [
            ("{{ 1 }}", 1),
            ("{{ [1, 2] }}", [1, 2]),
            ("{{ {'a': [1]} }}", {"a": [1]}),
            ("{{ '1' }}", "1"),
            ("{{ '[1, 2]' }}", "[1, 2]"),
            ("x{{ 1 }}", "x1"),
            ("{{ none }}", None),
            ("a{{ none }}b", "ab"),
            ("{% if false %}x{% endif %}", None),
            ("{{ true }}", True),
            ("{{ 1 }}{{ 2 }}", "12"),
            ("{{ x | default(omit) }}", OMIT),
        ],
    )
    def test_native_values(self, templar: Templar, template: str, expected: Any) -> None:
        result = templar.render(template, {})
        assert result == expected
        assert type(result) is type(expected) or isinstance(result, UnsafeText)

    def test_recurses_into_dicts_and_lists(self, templar: Templar) -> None:
        value = {"a": ["{{ n }}", "plain", 3], "{{ k }}": {"b": "{{ n + 1 }}"}}
        assert templar.render(value, {"n": 1, "k": "key"}) == {
            "a": [1, "plain", 3],
            "key": {"b": 2},
        }

    def test_non_templates_untouched(self, templar: Templar) -> None:
        value = "no markers here"
        assert templar.render(value, {}) is value
        assert templar.render(5, {}) == 5

    def test_output_text_is_unsafe(self, templar: Templar) -> None:
        assert isinstance(templar.render("x{{ 1 }}", {}), UnsafeText)
        assert isinstance(templar.render("{{ ['a'] }}", {})[0], UnsafeText)

    def test_template_output_is_never_rendered_twice(self, templar: Templar) -> None:
        once = templar.render("{{ '{{ 6 * 7 }}' }}", {})
        assert once == "{{ 6 * 7 }}"
        assert templar.render(once, {}) == "{{ 6 * 7 }}"
        assert not templar.is_template(once)

    def test_backslashes_in_string_literals_stay(self, templar: Templar) -> None:
        result = templar.render("{{ 'a_b' | regex_replace('(a)_(b)', '\\2\\1') }}", {})
        assert result == "ba"

    def test_none_concatenates_as_empty(self, templar: Templar) -> None:
        assert templar.render("[{{ n }}]", {"n": None}) == "[]"

    def test_globals_and_variables_both_visible(self, templar: Templar) -> None:
        assert templar.render("{{ range(n) | list }}", {"n": 2}) == [0, 1]
        assert templar.render("{{ omit }}", {}) == OMIT

    def test_variables_shadow_globals(self, templar: Templar) -> None:
        assert templar.render("{{ range }}", {"range": 7}) == 7


class TestUndefined:
    def test_default_only_for_undefined(self, templar: Templar) -> None:
        assert templar.render("{{ x | default('d') }}", {}) == "d"
        assert templar.render("{{ x | default('d') }}", {"x": ""}) == ""
        assert templar.render("{{ x | default('d', true) }}", {"x": ""}) == "d"

    def test_defined_tests(self, templar: Templar) -> None:
        variables = {"x": {"y": 1}}
        assert templar.render("{{ x.y is defined }}", variables) is True
        assert templar.render("{{ x.z is defined }}", variables) is False
        assert templar.render("{{ q.z is defined }}", variables) is False
        assert templar.render("{{ x.z.w | default(3) }}", variables) == 3

    @pytest.mark.parametrize(
        ("template", "message"),
        [
            ("{{ x }}", "'x' is undefined"),
            ("a {{ x }}", "'x' is undefined"),
            ("{{ d.k }}", "object of type 'dict' has no attribute 'k'"),
            ("{{ d['k'] }}", "object of type 'dict' has no attribute 'k'"),
            ("{{ d.k.j }}", "object of type 'dict' has no attribute 'k'"),
            ("{{ [x] }}", "'x' is undefined"),
            (
                "{{ x | mandatory }}",
                "The filter plugin 'ansible.builtin.mandatory' failed: "
                "Mandatory variable 'x' not defined.",
            ),
        ],
    )
    def test_messages(self, templar: Templar, template: str, message: str) -> None:
        error = _error(templar.render, template, {"d": {}})
        assert error.message == message


class TestPositions:
    def test_single_line(self, templar: Templar) -> None:
        pos = Position("f.yml", 4, 14)
        assert _error(templar.render, "{{ x }}", {}, pos).pos == pos

    @pytest.mark.parametrize(
        "template",
        ["one\n{{ x }}", "one\n{{ x | mandatory }}", "one\n{{ 1 / 0 }}", "one\n{{ 1 + }}"],
    )
    def test_shifted_by_jinja_line(self, templar: Templar, template: str) -> None:
        error = _error(templar.render, template, {}, Position("f.yml", 7, 11))
        assert error.pos == Position("f.yml", 8, 11)

    def test_no_position_given(self, templar: Templar) -> None:
        assert _error(templar.render, "{{ x }}", {}).pos is None


class TestEvaluate:
    @pytest.mark.parametrize(
        ("expression", "expected"),
        [("n + 1", 2), ("{{ n + 1 }}", 2), (" n ", 1), (True, True), (3, 3), ("[n]", [1])],
    )
    def test_values(self, templar: Templar, expression: Any, expected: Any) -> None:
        assert templar.evaluate(expression, {"n": 1}) == expected

    def test_unsafe_expression_refused(self, templar: Templar) -> None:
        error = _error(templar.evaluate, UnsafeText("n"), {"n": 1})
        assert error.message == "Encountered untrusted template or expression."

    def test_whole_template_may_name_a_trusted_expression(self, templar: Templar) -> None:
        """ansible-core 2.19: `that: "{{ item }}"` with a trusted string evaluates it."""
        assert templar.condition("{{ e }}", {"e": "n == 1", "n": 1}) is True
        assert templar.condition("  {{ e }} ", {"e": "n == 2", "n": 1}) is False
        assert templar.evaluate("{{ x }}", {"x": [1, 2]}) == [1, 2]

    @pytest.mark.parametrize(("expression", "variables"), [
        ("{{ '1 == 1' }}", {}),                      # a string the template made
        ("{{ 'a' }} == {{ 'b' }}", {}),              # meta-templating
        ("{{ out }}", {"out": UnsafeText("1 == 1")}),  # a module's result
        ("{{ e ~ '' }}", {"e": "1 == 1"}),           # built from a trusted one
    ])
    def test_whole_template_building_an_expression_is_untrusted(
            self, templar: Templar, expression: str, variables: dict[str, object]) -> None:
        error = _error(templar.condition, expression, variables)
        assert error.message == "Encountered untrusted template or expression."

    def test_unsafe_condition_is_untrusted_without_prefix(self, templar: Templar) -> None:
        error = _error(templar.condition, UnsafeText("1 == 0"), {})
        assert error.message == "Encountered untrusted template or expression."

    def test_delimiters_inside_an_expression(self, templar: Templar) -> None:
        error = _error(templar.condition, '"foo" in {{ x }}', {"x": "y"})
        assert error.message.startswith(
            "Syntax error in expression. Template delimiters are not supported in expressions:")

    def test_trailing_garbage(self, templar: Templar) -> None:
        error = _error(templar.evaluate, "n n", {"n": 1})
        assert error.message.startswith("Syntax error in expression")


class TestCondition:
    @pytest.mark.parametrize(
        ("expression", "expected"),
        [
            ("n == 1", True),
            ("n is defined", True),
            ("m is defined", False),
            (False, False),
            ("s | bool", True),
            ("not (n > 1)", True),
        ],
    )
    def test_booleans(self, templar: Templar, expression: Any, expected: bool) -> None:
        assert templar.condition(expression, {"n": 1, "s": "yes"}) is expected

    @pytest.mark.parametrize(
        ("expression", "message"),
        [
            (
                "s",
                "Conditional result (True) was derived from value of type 'str' at "
                "'f.yml:3:9'. Conditionals must have a boolean result.",
            ),
            (
                "n",
                "Conditional result (True) was derived from value of type 'int' at "
                "'f.yml:3:9'. Conditionals must have a boolean result.",
            ),
            ("m", "Error while evaluating conditional: 'm' is undefined"),
            ("n ==", "Syntax error in expression: unexpected 'end of template'"),
            (1, "Conditional expressions must be strings."),
        ],
    )
    def test_errors(self, templar: Templar, expression: Any, message: str) -> None:
        error = _error(templar.condition, expression, {"n": 1, "s": "yes"}, Position("f.yml", 3, 9))
        assert error.message == message


class TestStatic:
    def test_is_template(self, templar: Templar) -> None:
        assert templar.is_template("a {{ b }}")
        assert templar.is_template("{% if x %}{% endif %}")
        assert templar.is_template("{# c #}")
        assert not templar.is_template("plain")
        assert not templar.is_template(UnsafeText("{{ b }}"))
        assert not templar.is_template(3)

    def test_check_syntax(self, templar: Templar) -> None:
        assert templar.check_syntax("{{ a }}") is None
        assert templar.check_syntax("a\n{{ a +  }}") == TemplateSyntaxProblem(
            "Syntax error in template: unexpected 'end of print statement'", 1
        )
        problem = templar.check_syntax("x | nofilter", expression=True)
        assert problem is not None
        assert problem.message == "Syntax error in expression: No filter named 'nofilter'."
        assert templar.check_syntax("a ==", expression=True) is not None

    def test_variables_used(self, templar: Templar) -> None:
        text = "{% for i in xs %}{{ i + y }}{% endfor %}{{ lookup('env', z) | default(omit) }}"
        assert templar.variables_used(text) == {"xs", "y", "z"}
        assert templar.variables_used("a.b and c is defined", expression=True) == {"a", "c"}
        assert templar.variables_used("{{ (") == set()


class TestRenderFile:
    def test_renders_text(self, templar: Templar, tmp_path: Path) -> None:
        path = tmp_path / "t.j2"
        path.write_text("{% for i in xs %}\n- {{ i }}\n{% endfor %}\nn={{ n }}\n")
        text = templar.render_file(str(path), {"xs": [1, 2], "n": None})
        assert text == "- 1\n- 2\nn=\n"

    def test_lstrip_blocks(self, templar: Templar, tmp_path: Path) -> None:
        path = tmp_path / "t.j2"
        path.write_text("  {% if true %}\nx\n  {% endif %}\n")
        assert templar.render_file(str(path), {}, lstrip_blocks=True) == "x\n"

    def test_error_position(self, templar: Templar, tmp_path: Path) -> None:
        path = tmp_path / "t.j2"
        path.write_text("a\nb\n{{ nope }}\n")
        error = _error(templar.render_file, str(path), {})
        assert error.pos == Position(str(path), 3, 1)
        assert error.message == "'nope' is undefined"

    def test_missing_file(self, templar: Templar, tmp_path: Path) -> None:
        error = _error(templar.render_file, str(tmp_path / "none.j2"), {})
        assert "Could not read template" in error.message


class TestOmit:
    def test_strip_omit(self) -> None:
        args = {"a": OMIT, "b": 1, "c": {"d": OMIT, "e": [OMIT, 2]}}
        assert strip_omit(args) == {"b": 1, "c": {"e": [2]}}

    def test_omit_is_unique_text(self) -> None:
        assert OMIT.startswith("__omit_place_holder__")
        assert len(OMIT) > len("__omit_place_holder__") + 16


class TestUnsafe:
    """Host data containing a template never runs, whatever path it takes."""

    @pytest.fixture
    def attack(self, tmp_path: Path) -> tuple[Path, UnsafeText]:
        target = tmp_path / "pwned"
        return target, UnsafeText("{{ lookup('pipe', 'touch " + str(target) + "') }}")

    @pytest.mark.parametrize(
        "template",
        [
            "{{ x }}",
            "msg {{ x }}",
            "{{ x | upper | lower }}",
            "{{ [x] }}",
            "{{ {'k': x} }}",
            "{{ x ~ '' }}",
            "{{ (j | from_json).k }}",
            "{{ j | from_json }}",
            "{{ y | from_yaml }}",
        ],
    )
    def test_never_rendered(
        self, templar: Templar, attack: tuple[Path, UnsafeText], template: str
    ) -> None:
        target, payload = attack
        variables = {
            "x": payload,
            "j": UnsafeText(json.dumps({"k": str(payload)})),
            "y": UnsafeText("k: '" + str(payload).replace("'", "''") + "'"),
        }
        once = templar.render(template, variables)
        twice = templar.render(once, {})  # a later set_fact / lazy variable
        templar.render({"nested": [once]}, {})
        assert not target.exists()
        assert "lookup('pipe'" in str(twice)

    def test_unsafe_input_returned_as_is(
        self, templar: Templar, attack: tuple[Path, UnsafeText]
    ) -> None:
        target, payload = attack
        assert templar.render(payload, {}) is payload
        assert templar.render({"a": [payload]}, {}) == {"a": [payload]}
        assert not target.exists()

    def test_from_json_marks_strings_unsafe(self, templar: Templar) -> None:
        result = templar.render("{{ j | from_json }}", {"j": UnsafeText('{"a": ["{{ 1 }}"]}')})
        assert isinstance(result["a"][0], UnsafeText)


class TestSnapshots:
    @pytest.mark.parametrize(
        ("template", "pos"),
        [
            ("{{ missing }}", Position(PLAYBOOK, 4, 14)),
            ("line one\n{{ d.nokey }}\n", Position(PLAYBOOK, 7, 11)),
            ("{{ 1 + }}", Position(PLAYBOOK, 9, 21)),
            ("{{ [1,\n2, }}", Position(PLAYBOOK, 13, 11)),
            ("{{ d | nofilter }}", Position(PLAYBOOK, 9, 21)),
            ("{{ 'x' is failed }}", Position(PLAYBOOK, 9, 21)),
        ],
        ids=["undefined", "attribute_line2", "syntax", "syntax_line2", "no_filter", "result_test"],
    )
    def test_render_errors(
        self,
        at_repo: None,
        templar: Templar,
        template: str,
        pos: Position,
        snapshot: SnapshotAssertion,
    ) -> None:
        assert _error(templar.render, template, {"d": {}}, pos).render() == snapshot

    @pytest.mark.parametrize("expression", ["s", "missing", "s =="])
    def test_condition_errors(
        self, at_repo: None, templar: Templar, expression: str, snapshot: SnapshotAssertion
    ) -> None:
        pos = Position(PLAYBOOK, 10, 13)
        assert _error(templar.condition, expression, {"s": "yes"}, pos).render() == snapshot


@given(st.text().filter(lambda text: not any(m in text for m in ("{{", "{%", "{#"))))
def test_text_without_markers_is_untouched(text: str) -> None:
    assert Templar().render(text, {}) is text


@given(st.text())
def test_unsafe_text_is_always_untouched(text: str) -> None:
    value = UnsafeText(text)
    assert Templar().render(value, {}) is value


@given(st.integers() | st.booleans() | st.lists(st.integers()) | st.none())
def test_single_expression_round_trips_native_values(value: Any) -> None:
    assert Templar().render("{{ v }}", {"v": value}) == value


class TestAssertions:
    """`assert`'s `that`: a whole template giving a list is that list, trust kept."""

    def test_list_through_a_variable(self, templar: Templar) -> None:
        checks = ["1 == 1", UnsafeText("1 == 0")]
        found = templar.assertions("{{ checks }}", {"checks": checks})
        assert found == checks
        assert not isinstance(found[0], UnsafeText)
        assert isinstance(found[1], UnsafeText)

    def test_other_values_are_listified(self, templar: Templar) -> None:
        assert templar.assertions("{{ e }}", {"e": "n == 1"}) == ["{{ e }}"]
        assert templar.assertions(["a", "b"], {}) == ["a", "b"]
        assert templar.assertions("{{ missing }}", {}) == ["{{ missing }}"]


class TestConditionConstants:
    """2.19 renders a template inside a string literal of a condition, not elsewhere."""

    def test_condition_renders_the_literal(self, templar: Templar) -> None:
        assert templar.condition('"{{ \'hi\' }}" == "hi"', {}) is True
        assert templar.condition('"{{ x }}" == 1', {"x": 1}) is True  # native, as 2.19
        assert templar.condition('"a{{ x }}" == "a1"', {"x": 1}) is True

    def test_other_expressions_keep_the_literal(self, templar: Templar) -> None:
        assert templar.evaluate('"{{ x }}"', {"x": 1}) == "{{ x }}"


class TestVarExpression:
    """`debug: var=` is templated as an argument first, then must be trusted."""

    def test_passthrough_names_the_variable(self, templar: Templar) -> None:
        assert templar.var_expression("{{ item }}", {"item": "k1"}) == "k1"
        assert templar.var_expression("plain_name", {}) == "plain_name"

    @pytest.mark.parametrize("raw", ['{{ "name" }}', '"{{ x }}"', UnsafeText("name")])
    def test_built_or_unsafe_is_untrusted(self, templar: Templar, raw: str) -> None:
        error = _error(templar.var_expression, raw, {"x": 1})
        assert error.message == "Encountered untrusted template or expression."
