"""Lookups through a Templar (`lookup`/`query`), and `with_<lookup>` loops."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from miniplay import keywords
from miniplay.errors import Position, TemplateError
from miniplay.executor.loops import loop_items, loop_vars
from miniplay.model import Expr, RoleInfo, Task
from miniplay.plugins.lookups import LOOKUPS, NOT_BUILT, LookupCall, lookup_refusal, run_lookup
from miniplay.templating import Templar
from miniplay.unsafe import UnsafeText

POS = Position("play.yml", 3, 5)


@pytest.fixture
def base(tmp_path: Path) -> Path:
    (tmp_path / "files").mkdir()
    (tmp_path / "templates").mkdir()
    (tmp_path / "files" / "a.txt").write_text("from files\n\n")
    (tmp_path / "files" / "c.txt").write_text("c\n")
    (tmp_path / "b.txt").write_text("beside\n")
    (tmp_path / "templates" / "t.j2").write_text("n={{ n }}\n")
    (tmp_path / "templates" / "native.j2").write_text("{{ [n, 2] }}\n")
    (tmp_path / "templates" / "square.j2").write_text("[# c #]n=[% n %] {% include 'inc.j2' %}")
    (tmp_path / "templates" / "inc.j2").write_text("included [% ansible_managed %]")
    (tmp_path / "templates" / "empty.j2").write_text("{# nothing #}")
    (tmp_path / "files" / "conf.ini").write_text("[s]\nKey = v1\nother = %(key)s-x\n")
    (tmp_path / "files" / "people.csv").write_text("Smith,Jane,30\nDoe,John,40\n")
    return tmp_path


@pytest.fixture
def templar(base: Path) -> Templar:
    return Templar(lookup_base_dir=str(base))


def render(templar: Templar, template: str, **variables: Any) -> Any:
    return templar.render(template, variables)


class TestLookupResults:
    @pytest.mark.parametrize(
        ("template", "expected"),
        [
            ("{{ lookup('file', 'a.txt') }}", "from files"),
            ("{{ lookup('file', 'b.txt') }}", "beside"),
            ("{{ lookup('file', 'a.txt', 'b.txt') }}", "from files,beside"),
            ("{{ query('file', 'b.txt') }}", ["beside"]),
            ("{{ lookup('file', 'a.txt', rstrip=false) }}", "from files\n\n"),
            ("{{ lookup('pipe', 'echo hi; echo there') }}", "hi\nthere"),
            ("{{ lookup('pipe', 'ls b.txt') }}", "b.txt"),
            ("{{ query('lines', 'printf \"a\\nb\\n\"') }}", ["a", "b"]),
            ("{{ lookup('env', 'MINIPLAY_NOPE', default='dflt') }}", "dflt"),
            ("{{ lookup('env', 'MINIPLAY_NOPE') }}", ""),
            ("{{ lookup('items', [1, [2, [3]]], wantlist=true) }}", [1, [2, [3]]]),
            ("{{ query('items', [1, [2]], 3) }}", [1, [2], 3]),
            ("{{ q('list', [1, 2]) }}", [[1, 2]]),
            ("{{ lookup('dict', {'a': 1, 'b': 2}) }}",
             [{"key": "a", "value": 1}, {"key": "b", "value": 2}]),
            ("{{ lookup('vars', 'n') }}", 4),
            ("{{ lookup('vars', 'zz', default=0) }}", 0),
            ("{{ lookup('vars', 'zz') | default('d') }}", "d"),
            ("{{ lookup('vars', 'range', default='not a variable') }}", "not a variable"),
            ("{{ lookup('template', 't.j2') }}", "n=4\n"),
            ("{{ lookup('template', 'native.j2') }}", [4, 2]),
            ("{{ lookup('template', 't.j2', template_vars={'n': 5}) }}", "n=5\n"),
            ("{{ lookup('template', 'square.j2', variable_start_string='[%', "
             "variable_end_string='%]', comment_start_string='[#', comment_end_string='#]') }}",
             "n=4 included Ansible managed"),
            ("{{ lookup('template', 'empty.j2') }}", None),
            ("{{ lookup('first_found', ['none.txt', 'b.txt']) | basename }}", "b.txt"),
            ("{{ lookup('first_found', {'files': ['a.txt'], 'paths': ['files']}) | basename }}",
             "a.txt"),
            ("{{ lookup('first_found', ['none'], skip=true) }}", []),
            ("{{ query('fileglob', '*.txt') | map('basename') | sort }}", ["a.txt", "c.txt"]),
            ("{{ query('fileglob', 'files/*.txt') | map('basename') | sort }}",
             ["a.txt", "c.txt"]),
            ("{{ query('fileglob', 'nothing/*.txt') }}", []),
            ("{{ lookup('file', 'none', errors='ignore') }}", None),
            ("{{ query('file', 'none', errors='warn') }}", []),
            ("{{ lookup('ansible.builtin.env', 'MINIPLAY_NOPE', default='x') }}", "x"),
            ("{{ query('sequence', 'start=1 end=3') }}", ["1", "2", "3"]),
            ("{{ query('sequence', '4-8/2:h%02d') }}", ["h04", "h06", "h08"]),
            ("{{ query('sequence', 'count=3 start=010 format=%x') }}", ["a", "b", "c"]),
            ("{{ query('sequence', 'start=3 end=1 stride=-1') }}", ["3", "2", "1"]),
            ("{{ query('sequence', start=2, end=3) }}", ["2", "3"]),
            ("{{ query('nested', [1, 2], ['a', 'b']) }}",
             [[1, "a"], [1, "b"], [2, "a"], [2, "b"]]),
            ("{{ query('together', [1, 2], ['a']) }}", [[1, "a"], [2, None]]),
            ("{{ query('indexed_items', ['a', ['b']]) }}", [[0, "a"], [1, ["b"]]]),
            ("{{ query('indexed_items', 'a', ['b']) }}", [[0, "a"], [1, "b"]]),
            ("{{ query('subelements', [{'n': 1, 'l': [7, 8]}], 'l') }}",
             [[{"n": 1}, 7], [{"n": 1}, 8]]),
            ("{{ query('subelements', [{'n': 1}], 'l', {'skip_missing': true}) }}", []),
            ("{{ query('random_choice', 'only') }}", ["only"]),
            ("{{ lookup('vars', name='x') }}", []),
            ("{{ query('vars', 'n', name='x') }}", [4]),
            ("{{ lookup('ini', 'key', file='conf.ini', section='s') }}", "v1"),
            ("{{ lookup('ini', 'other section=s file=conf.ini') }}", "v1-x"),
            ("{{ lookup('ini', 'nope', file='conf.ini', section='s', default='d') }}", "d"),
            ("{{ lookup('csvfile', 'Doe', file='people.csv', delimiter=',') }}", "John"),
            ("{{ lookup('csvfile', 'Doe file=people.csv delimiter=, col=2') }}", "40"),
            ("{{ lookup('csvfile', 'No', file='people.csv', delimiter=',', default=['a', 'b']) }}",
             "a,b"),
            ("{{ query('ini', 'nope', file='conf.ini', section='s', default=['a', 'b']) }}",
             ["a", "b"]),
            ("{{ query('varnames', '^n') }}", ["n"]),
            ("{{ query('inventory_hostnames', 'web') }}", ["w1", "w2"]),
            ("{{ query('inventory_hostnames', 'all:!w1') }}", ["w2", "d1"]),
            ("{{ lookup('password', '/dev/null length=5 chars=digits') | length }}", 5),
            ("{{ lookup('password', '/dev/null length=8 seed=1') == "
             "lookup('password', '/dev/null length=8 seed=1') }}", True),
            ("{{ lookup('config', 'DEFAULT_POLL_INTERVAL') }}", 15),
            ("{{ query('config', 'DEFAULT_STRATEGY', show_origin=true) }}",
             [["linear", "default"]]),
            ("{{ query('config', 'NO_SUCH_SETTING', 'DEFAULT_POLL_INTERVAL', on_missing='skip') }}",
             [15]),
        ],
    )
    def test_results(self, templar: Templar, template: str, expected: Any) -> None:
        groups = {"all": ["w1", "w2", "d1"], "web": ["w1", "w2"], "db": ["d1"]}
        assert render(templar, template, n=4, groups=groups) == expected

    def test_outside_data_is_unsafe_own_terms_are_not(self, templar: Templar) -> None:
        assert isinstance(render(templar, "{{ query('pipe', 'echo {{ 1 }}')[0] }}"), UnsafeText)
        assert render(templar, "{{ lookup('pipe', 'echo \"{{ 1 }}\"') }}") == "{{ 1 }}"
        call = LookupCall(".", {}, templar)
        assert not isinstance(run_lookup("items", ["x"], {}, call)[0], UnsafeText)
        assert isinstance(run_lookup("env", ["HOME"], {}, call)[0], UnsafeText)

    def test_an_undefined_argument_is_the_result(self, templar: Templar) -> None:
        assert render(templar, "{{ lookup('file', nope) | default('d') }}") == "d"
        assert render(templar, "{{ query('items', 1, n=nope) is undefined }}") is True
        assert render(templar, "{{ lookup('env', 'MINIPLAY_NOPE', default=nope) is undefined }}")
        with pytest.raises(TemplateError, match="'nope' is undefined"):
            render(templar, "{{ lookup('first_found', files=nope) }}")
        with pytest.raises(TemplateError, match="environment variable 'MINIPLAY_NOPE' is not set"):
            render(templar, "{{ lookup('env', 'MINIPLAY_NOPE', default=undef()) }}")
        with pytest.raises(TemplateError, match="custom"):
            render(templar, "{{ lookup('env', 'MINIPLAY_NOPE', default=undef('custom')) }}")

    def test_password_is_kept_in_its_file(self, templar: Templar, base: Path) -> None:
        first = render(templar, "{{ lookup('password', 'creds/pw length=12') }}")
        assert len(first) == 12
        assert (base / "creds" / "pw").read_text() == first + "\n"
        assert render(templar, "{{ lookup('password', 'creds/pw length=12') }}") == first


class TestLookupErrors:
    @pytest.mark.parametrize(
        ("template", "message"),
        [
            ("{{ lookup('file', 'none.txt') }}",
             "The lookup plugin 'file' failed: Unable to access the file 'none.txt': File not "
             "found. Use -vvvvv to see paths searched."),
            ("{{ lookup('pipe', 'exit 3') }}",
             "The lookup plugin 'pipe' failed: lookup_plugin.pipe(exit 3) returned 3"),
            ("{{ lookup('first_found', ['none']) }}",
             "The lookup plugin 'first_found' failed: No file was found when using first_found."),
            ("{{ lookup('vars', 'zz') }}", "No variable named 'zz' was found."),
            ("{{ lookup('nosuch', 1) }}", "The lookup plugin 'nosuch' was not found."),
            ("{{ lookup('filee', 1) }}",
             "The lookup plugin 'filee' was not found. (did you mean 'file'?)"),
            ("{{ lookup('sequence', 'start=1 end=3 bogus=1') }}",
             "The lookup plugin 'sequence' failed: unrecognized arguments to with_sequence: "
             "['bogus']"),
            ("{{ lookup('sequence', 'count=2 end=3') }}",
             "The lookup plugin 'sequence' failed: can't specify both count and end in "
             "with_sequence"),
            ("{{ lookup('sequence', 'start=0x0a count=2') }}",
             "The lookup plugin 'sequence' failed: Config 'start' for 'sequence' lookup plugin "
             "from 'Direct' has an invalid value: Invalid value provided for 'integer': '0x0a'"),
            ("{{ lookup('ini', 'invalid=option') }}",
             "The lookup plugin 'ini' failed: 'invalid' is not a valid option."),
            ("{{ lookup('ini', 'key', file='conf.ini', section='none') }}",
             "The lookup plugin 'ini' failed: No section 'none' in 'conf.ini'."),
            ("{{ lookup('csvfile', file='people.csv') }}",
             "The lookup plugin 'csvfile' failed: Search key is required but was not found"),
            ("{{ lookup('config', 'NO_SUCH_SETTING') }}",
             "The lookup plugin 'config' failed: No config definition exists for "
             "'NO_SUCH_SETTING'."),
            ("{{ lookup('nested') }}",
             "The lookup plugin 'nested' failed: with_nested requires at least one element in "
             "the nested list"),
            ("{{ lookup('subelements', [{'n': 1}], 'l') }}",
             "The lookup plugin 'subelements' failed: could not find 'l' key in iterated item "
             "'{'n': 1}'"),
        ],
    )
    def test_failures(self, templar: Templar, template: str, message: str) -> None:
        with pytest.raises(TemplateError) as info:
            render(templar, template)
        assert info.value.message == message

    @pytest.mark.parametrize(
        ("template", "words"),
        [
            ("{{ lookup('url', 'http://x') }}", "is not built in miniplay"),
            ("{{ lookup('config', 'remote_tmp', plugin_type='shell', plugin_name='sh') }}",
             "option 'plugin_type' is not built"),
            ("{{ lookup('config', 'DEFAULT_BECOME_USER', on_missing='skip') }}",
             "'DEFAULT_BECOME_USER' has no meaning in miniplay"),
            ("{{ lookup('password', '/dev/null encrypt=sha512_crypt') }}",
             "encrypt=sha512_crypt is not built"),
            ("{{ lookup('subelements', [], 'l', skip_missing=true) }}",
             "'skip_missing' is not built"),
        ],
    )
    def test_refused_by_name_even_with_errors_ignore(self, templar: Templar, template: str,
                                                     words: str) -> None:
        with pytest.raises(TemplateError) as info:
            render(templar, template)
        assert words in info.value.message
        if "errors" not in template and "encrypt" not in template and "DEFAULT" not in template:
            ignoring = template.replace(") }}", ", errors='ignore') }}")
            with pytest.raises(TemplateError):
                render(templar, ignoring)

    def test_vault_files_are_refused(self, templar: Templar, base: Path) -> None:
        (base / "files" / "secret").write_text("$ANSIBLE_VAULT;1.1;AES256\n6162\n")
        with pytest.raises(TemplateError, match="vault-encrypted; miniplay has no vault"):
            render(templar, "{{ lookup('unvault', 'secret') }}")


def test_keyword_list_names_every_lookup() -> None:
    assert set(LOOKUPS) | set(NOT_BUILT) == keywords.LOOKUP_NAMES
    assert set(NOT_BUILT) == keywords.NOT_BUILT_LOOKUPS


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("with_items", None),
        ("with_sequence", None),
        ("loop", None),
        ("with_bogus", "'with_bogus' is not a valid attribute for a Task: there is no lookup "
                       "named 'bogus'"),
        ("with_item", "'with_item' is not a valid attribute for a Task: there is no lookup "
                      "named 'item'"),
        ("with_url", "with_url: the url lookup is not built in miniplay"),
    ],
)
def test_loop_problem(key: str, expected: str | None) -> None:
    problem = keywords.loop_problem(key)
    assert (problem[0] if problem else None) == expected
    if key == "with_item":
        assert problem is not None
        assert problem[1] == "did you mean `with_items`?"


def _task(kind: str, value: Any, *, action: str = "debug", role: RoleInfo | None = None,
          file: str = "play.yml") -> Task:
    return Task(action=action, args={}, pos=Position(file, 1, 1), action_pos=POS,
                loop=Expr(value, POS), loop_kind=kind, role=role)


class TestWithLoops:
    @pytest.mark.parametrize(
        ("kind", "value", "expected"),
        [
            ("with_items", [[1, 2], 3, "{{ more }}"], [1, 2, 3, "m1", "m2"]),
            ("with_items", "{{ more }}", ["m1", "m2"]),
            ("with_items", "plain text", ["plain text"]),
            ("with_list", [[1, 2], 3], [[1, 2], 3]),
            ("with_dict", "{{ {'a': 1} }}", [{"key": "a", "value": 1}]),
            ("with_sequence", "start=1 end={{ top }}", ["1", "2", "3"]),
            ("with_sequence", " count=2 ", ["1", "2"]),
            ("with_nested", [[1, 2], "{{ more }}"], [[1, "m1"], [1, "m2"], [2, "m1"], [2, "m2"]]),
            ("with_together", [[1, 2], ["a"]], [[1, "a"], [2, None]]),
            ("with_indexed_items", "{{ more }}", [[0, "m1"], [1, "m2"]]),
            ("with_lines", "printf 'x\\ny\\n'", ["x", "y"]),
            ("with_random_choice", ["one"], ["one"]),
            ("with_flattened", None, None),
        ],
    )
    def test_items(self, templar: Templar, base: Path, kind: str, value: Any,
                   expected: Any) -> None:
        variables = {"more": ["m1", "m2"], "top": 3, "playbook_dir": str(base)}
        if expected is None:
            with pytest.raises(TemplateError, match="'flattened' was not found"):
                loop_items(_task(kind, value), templar, variables)
            return
        assert loop_items(_task(kind, value), templar, variables) == expected

    def test_fileglob_searches_the_role_files_then_the_playbook(self, templar: Templar,
                                                              base: Path) -> None:
        role = base / "roles" / "r"
        (role / "files").mkdir(parents=True)
        (role / "tasks").mkdir()
        (role / "files" / "in_role.txt").write_text("")
        variables = {"playbook_dir": str(base), "role_path": str(role),
                     "ansible_search_path": [str(role), str(role / "tasks"), str(base)]}
        task = _task("with_fileglob", "*.txt", file=str(role / "tasks" / "main.yml"))
        assert loop_items(task, templar, variables) == [str(role / "files" / "in_role.txt")]
        beside = _task("with_fileglob", "files/a.txt")
        assert loop_items(beside, templar, {"playbook_dir": str(base)}) == [
            str(base / "files" / "a.txt")]

    def test_with_first_found_looks_in_the_actions_folder(self, templar: Templar,
                                                        base: Path) -> None:
        task = _task("with_first_found", ["none.j2", "t.j2"], action="template")
        found = loop_items(task, templar, {"playbook_dir": str(base)})
        assert found == [str(base / "templates" / "t.j2")]

    def test_template_lookup_searches_the_role_templates(self, templar: Templar,
                                                       base: Path) -> None:
        role = base / "roles" / "r"
        (role / "templates").mkdir(parents=True)
        (role / "templates" / "r.j2").write_text("role {{ n }}")
        variables = {"n": 1, "role_path": str(role), "ansible_search_path": [str(role)]}
        assert render(templar, "{{ lookup('template', 'r.j2') }}", **variables) == "role 1"

    def test_loop_needs_a_list(self, templar: Templar) -> None:
        with pytest.raises(TemplateError, match="requires a list"):
            loop_items(_task("loop", "{{ 'text' }}"), templar, {})


class TestLoopVars:
    def test_extended(self) -> None:
        found = loop_vars({"extended": True}, "b", 1, ["a", "b"])
        assert found["ansible_loop"] == {
            "index": 2, "index0": 1, "first": False, "last": True, "length": 2,
            "revindex": 1, "revindex0": 0, "allitems": ["a", "b"], "previtem": "a"}

    def test_extended_allitems_off(self) -> None:
        found = loop_vars({"extended": True, "extended_allitems": False}, "a", 0, ["a", "b"])
        assert "allitems" not in found["ansible_loop"]
        assert found["ansible_loop"]["nextitem"] == "b"
        assert "previtem" not in found["ansible_loop"]


class TestStaticChecks:
    @pytest.mark.parametrize(
        ("task", "rule", "words"),
        [
            ("debug: msg=\"{{ lookup('nosuch', 'x') }}\"", "not-built-plugin",
             "the lookup 'nosuch' is not available in miniplay"),
            ("debug: msg=\"{{ q('fil', 'x') }}\"", "not-built-plugin", "(did you mean 'file'?)"),
            ("debug: msg=\"{{ query('url', 'http://h') }}\"", "not-built-plugin",
             "the lookup 'url' is not supported"),
            ("debug: msg=x\n      with_bogus: [1]", "unknown-keyword",
             "'with_bogus' is not a valid attribute for a Task"),
            ("debug: msg=x\n      with_url: [h]", "not-built",
             "with_url: the url lookup is not built in miniplay"),
            ("debug: msg=x\n      with_items:", "schema",
             "you must specify a value when using with_items"),
        ],
    )
    def test_refused_before_running(self, tmp_path: Path, task: str, rule: str,
                                    words: str) -> None:
        from miniplay.validate import validate_file

        play = tmp_path / "play.yml"
        play.write_text(f"- hosts: localhost\n  gather_facts: false\n  tasks:\n    - {task}\n")
        found = [d for d in validate_file(str(play)) if d.severity == "error"]
        assert [(d.rule, words in d.message, d.pos.line if d.pos else 0) for d in found] == [
            (rule, True, 4 if "with_" not in task else 5)]

    def test_known_lookups_pass(self, tmp_path: Path) -> None:
        from miniplay.validate import validate_file

        play = tmp_path / "play.yml"
        play.write_text("- hosts: localhost\n  gather_facts: false\n  tasks:\n"
                        "    - debug: msg=\"{{ lookup('ansible.builtin.env', 'HOME') }}\"\n"
                        "      with_sequence: count=2\n")
        assert [d for d in validate_file(str(play)) if d.severity == "error"] == []


def test_a_name_no_plugin_can_have_is_not_refused_statically() -> None:
    """lookup('{{ "pipe" }}'): Ansible fails only when it runs ("was not found")."""
    assert lookup_refusal('{{ "pipe" }}') is None
    assert lookup_refusal("no such") is None
    assert lookup_refusal("nosuchlookup") is not None
    assert lookup_refusal("community.general.nosuch") is not None
    assert lookup_refusal("pipe") is None
