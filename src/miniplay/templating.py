"""Render Jinja templates with ansible-core 2.19 semantics.

Takes: a value from a playbook (str, or dict/list holding strings) and a read-only
mapping of variables. Gives: the rendered value; a string that is exactly one
``{{ expr }}`` yields the expression's native value (int, list, dict, None...), any
other template yields text. Raises: `TemplateError` with the caller's position (moved
down by the Jinja line number) and a hint, for syntax errors, undefined variables and
failing filters, tests or lookups.

Why this shape:
- One sandboxed Jinja environment per `Templar` (per run): filters, tests and caches
  belong to the run, never to the module.
- Native output without `ast.literal_eval`: ``"{{ '1' }}"`` stays the string ``"1"``, as
  in 2.19; only the values the expression produced come back.
- Trust: text produced by a template is returned as `UnsafeText`, as ansible-core 2.19
  marks template output untrusted, so nothing a render produced is rendered twice
  (``set_fact: y: "{{ '{{ 6*7 }}' }}"`` keeps the braces). `UnsafeText` given to
  `render` is returned untouched; given to `evaluate` it is refused ("Encountered
  untrusted template or expression."). A condition (or `debug: var=`) wrapped whole in
  ``{{ }}`` is rendered first and must give a trusted expression: a variable's own
  string (`{{ item }}`), never one the template built (`{{ '1 == 1' }}`), as in 2.19.
- Lazy variables are the variables mapping's business: `render` reads values through
  the mapping and never looks inside them for templates.
"""

from __future__ import annotations

import secrets
from collections import ChainMap
from collections.abc import (
    ItemsView,
    Iterable,
    Iterator,
    KeysView,
    Mapping,
    Sequence,
    ValuesView,
)
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from types import TracebackType
from typing import Any

import jinja2
from jinja2 import meta, nodes
from jinja2.exceptions import SecurityError
from jinja2.lexer import Lexer, get_lexer
from jinja2.nativetypes import NativeCodeGenerator
from jinja2.parser import Parser
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment
from jinja2.visitor import NodeTransformer

from miniplay.ansible_env import allow_broken_conditionals
from miniplay.errors import Position, TemplateError
from miniplay.plugins import lookup_globals
from miniplay.plugins.filters import native_type_name
from miniplay.templating_calls import as_list, install_plugins
from miniplay.templating_files import file_options, pad_newlines, split_header
from miniplay.templating_lexer import backslash_lexer
from miniplay.templating_trust import (
    UntrustedFailure,
    is_possibly_all_template,
    reachable,
    untrusted,
)
from miniplay.unsafe import UnsafeText

OMIT = "__omit_place_holder__" + secrets.token_hex(20)
"""The value of the `omit` variable; `strip_omit` drops arguments that hold it."""

_MARKERS = ("{{", "{%", "{#")
_UNDEFINED_HINT = "define it, or use `| default(...)` or `is defined` where it may be missing"
_CACHE_SIZE = 4096
_SEQUENCES = (list, set, frozenset, range, KeysView, ValuesView, ItemsView)


@dataclass(frozen=True, slots=True)
class TemplateSyntaxProblem:
    """A template that does not compile: the message and its 0-based line offset."""

    message: str
    line_offset: int


def strip_omit(args: Any) -> Any:
    """A copy of `args` without dict entries or list items whose value is `OMIT`."""
    if isinstance(args, dict):
        return {key: strip_omit(item) for key, item in args.items() if item != OMIT}
    if isinstance(args, list):
        return [strip_omit(item) for item in args if item != OMIT]
    return args


class _Undefined(jinja2.ChainableUndefined, jinja2.StrictUndefined):
    """Undefined that chains (``x.y is defined``) and fails on any real use."""

    __slots__ = ()

    @property
    def _undefined_message(self) -> str:
        if self._undefined_hint:
            return self._undefined_hint
        if self._undefined_obj is jinja2.utils.missing:
            return f"{self._undefined_name!r} is undefined"
        if self._undefined_name:  # 2.19 words any truthy key as an attribute ('x', 5)
            kind = native_type_name(self._undefined_obj)
            return f"object of type {kind!r} has no attribute {self._undefined_name!r}"
        # a falsy key (0, '') keeps Jinja's own words: "list object has no element 0"
        owner = jinja2.utils.object_type_repr(self._undefined_obj)
        if isinstance(self._undefined_name, str):
            return f"{owner!r} has no attribute {self._undefined_name!r}"
        return f"{owner} has no element {self._undefined_name!r}"


class _CodeGenerator(NativeCodeGenerator):
    """Native output that never folds expressions into text at compile time."""

    def _output_child_to_const(self, node: nodes.Expr, frame: Any, finalize: Any) -> str:
        if not isinstance(node, nodes.TemplateData):
            raise nodes.Impossible()
        return str(node.as_const(frame.eval_ctx))


class _AllVars(Mapping[str, Any]):
    """The `vars` variable: every variable of the template, read on access (a template
    that prints it renders them all, as Ansible's does)."""

    def __init__(self, variables: Mapping[str, Any]) -> None:
        self._variables = variables

    def __getitem__(self, key: str) -> Any:
        return self._variables[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._variables)

    def __len__(self) -> int:
        return len(self._variables)


_FLATTENING: list[type] = []
"""Types of the variable mappings being flattened now (`hostvars` holds host scopes that
hold `hostvars` again): a mapping of such a type met inside is left out."""


def _flattened(mapping: Mapping[str, Any]) -> dict[Any, Any]:
    """`vars` as a plain dict. Only `vars`: `hostvars` and a host's scope pass through
    unrendered, since a variable holding one (`all: "{{ hostvars[host] }}"`) must stay
    lazy (rendering every variable in it fails on ones that need the task's scope)."""
    _FLATTENING.append(type(mapping))
    try:
        return {_finalize(key): _untupled(_finalize(item)) for key, item in mapping.items()
                if not (isinstance(item, Mapping) and type(item) in _FLATTENING)
                and not isinstance(item, _AllVars)}
    finally:
        _FLATTENING.pop()


def _finalize(value: Any, mark: bool = True) -> Any:
    """Template output as plain data: strings untrusted (unless not `mark`: a variable's
    own value passed through, whose strings keep their trust), `vars` as a dict,
    sequences as lists (a tuple inside a list or dict too); fails on an undefined value
    anywhere inside."""
    if isinstance(value, str):
        return value if isinstance(value, UnsafeText) or not mark else UnsafeText(value)
    if isinstance(value, dict):
        return {_finalize(key, mark): _untupled(_finalize(item, mark))
                for key, item in value.items()}
    if isinstance(value, _AllVars):  # `hostvars` and scopes stay lazy (see _flattened)
        return _flattened(value)
    if isinstance(value, jinja2.Undefined):
        value._fail_with_undefined_error()
    if isinstance(value, tuple):
        return tuple(_finalize(item, mark) for item in value)
    if isinstance(value, (*_SEQUENCES, Iterator)):
        return [_untupled(_finalize(item, mark)) for item in value]
    return value


def _checked(value: Any) -> Any:
    """Each output expression, checked inside the template (so errors know their line)."""
    if isinstance(value, jinja2.Undefined):
        value._fail_with_undefined_error()
    if isinstance(value, (Iterator, KeysView, ValuesView, ItemsView)):
        return list(value)  # generators from map/select/unique; dict views
    return value


def _text(value: Any) -> str:
    """A piece of a multi-part template: None and omit are empty, and a tuple prints as
    the list it becomes when finalized (as in 2.19)."""
    if value is None or value == OMIT:
        return ""
    if isinstance(value, (list, tuple, dict)):
        return str(_untupled(value))
    return str(value)


def _untupled(value: Any) -> Any:
    """Tuples (here or nested) as lists, as 2.19 finalizes a value before printing it."""
    if type(value) in (tuple, list):
        return [_untupled(item) for item in value]
    if type(value) is dict:
        return {key: _untupled(item) for key, item in value.items()}
    return value


def _concat(values: Iterable[Any]) -> Any:
    """No output → None, one output → itself, several → their text joined."""
    iterator = iter(values)
    head = list(islice(iterator, 2))
    if not head:
        return None
    if len(head) == 1:
        return head[0]
    return "".join(_text(value) for value in (*head, *iterator))


class _LazyContext(Context):
    """A context that hands `{% include %}` and `{% import ... with context %}` its
    variables as a layered view: Jinja's own copies them all into a dict, which would
    render every lazy variable (and fail on an unused undefined one, unlike Ansible)."""

    def get_all(self) -> Any:
        if not self.vars:
            return self.parent
        return ChainMap(self.vars, self.parent)

    def resolve_or_missing(self, key: str) -> Any:
        """The variable; one whose own template reads an undefined value is undefined
        itself (so `x is undefined` and `x | default(...)` work), as in 2.19."""
        try:
            return super().resolve_or_missing(key)
        except UndefinedVariable as exc:
            return self.environment.undefined(hint=exc.message, name=key)


class _LazyTemplate(jinja2.Template):
    """A template whose `{% include %}` context layers the includer's locals over its
    variables instead of copying both into one dict (see `_LazyContext`)."""

    def new_context(self, vars: Any = None, shared: bool = False,
                    locals: Mapping[str, Any] | None = None) -> Context:
        if shared and locals and vars is not None:
            kept = {key: value for key, value in locals.items()
                    if value is not jinja2.utils.missing}
            return super().new_context(ChainMap(kept, vars), shared)  # type: ignore[arg-type]
        return super().new_context(vars, shared, locals)


class _Environment(SandboxedEnvironment):
    code_generator_class = _CodeGenerator
    context_class = _LazyContext
    template_class = _LazyTemplate
    concat = staticmethod(_concat)
    escape_backslashes = True

    def call(self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        """A call whose generator or dict-view result is a list (`d.items()[0]`)."""
        return as_list(super().call(__context, __obj, *args, **kwargs))

    @property
    def lexer(self) -> Lexer:
        if not self.escape_backslashes:
            return get_lexer(self)
        return backslash_lexer(self)


def _jinja_lineno(tb: TracebackType | None, template: jinja2.Template | None) -> int:
    """The template line the innermost compiled-template frame was running."""
    lineno = 1
    while tb is not None:
        if template is not None and tb.tb_frame.f_code.co_filename == "<template>":
            lineno = template.get_corresponding_lineno(tb.tb_lineno)
        tb = tb.tb_next
    return lineno


def _at(pos: Position | None, lineno: int) -> Position | None:
    return pos.shifted(lineno - 1) if pos is not None and lineno > 1 else pos


def _syntax_hint(message: str) -> str | None:
    if message.startswith(("No filter named", "No test named")):
        return "check the spelling; miniplay knows the ansible.builtin filters and tests"
    if "end of print statement" in message or "unexpected '}'" in message:
        return "one expression per `{{ }}`; check brackets and quotes"
    return None


class _SyntaxFailure(TemplateError):
    """A template that does not compile (conditions report it without a prefix)."""


class UndefinedVariable(TemplateError):
    """A template read a variable, attribute or key that is not defined.

    `debug: var=` shows this one as a ``<< error N - ... >>`` placeholder, as Ansible's
    undefined markers do; every other template failure fails the task."""


def _error_message(exc: Exception, expression: bool = False) -> tuple[str, str | None]:
    if isinstance(exc, jinja2.UndefinedError):
        return exc.message or "undefined variable", _UNDEFINED_HINT
    if isinstance(exc, jinja2.TemplateSyntaxError):
        kind = "expression" if expression else "template"
        return f"Syntax error in {kind}: {exc.message}", _syntax_hint(exc.message or "")
    if isinstance(exc, SecurityError):
        return f"Unsafe template operation: {exc}", None
    return f"Error rendering template: {exc}", None


class Templar:
    """Renders templates for one run; owns the Jinja environment and its caches."""

    def __init__(self, *, searchpath: Sequence[str] = (),
                 lookup_base_dir: str | None = None) -> None:
        loader = jinja2.FileSystemLoader(list(searchpath)) if searchpath else None
        self._env = _Environment(undefined=_Undefined, trim_blocks=True, autoescape=False,
                                 loader=loader, finalize=_checked)
        install_plugins(self._env)
        self._env.globals.update(lookup_globals(self, lookup_base_dir))
        self._env.globals.update(range=range, omit=OMIT)
        self._templates: dict[str, jinja2.Template] = {}
        self._expressions: dict[str, jinja2.Template] = {}
        self._conditions: dict[str, jinja2.Template] = {}
        self._env.globals[_RENDER_CONST] = jinja2.pass_context(
            lambda context, text: self.render(text, context.get_all()))
        self._file_envs: dict[Any, _Environment] = {}

    def is_template(self, value: Any) -> bool:
        """True for trusted text holding a Jinja marker."""
        if not isinstance(value, str) or isinstance(value, UnsafeText):
            return False
        return any(marker in value for marker in _MARKERS)

    def render(self, value: Any, variables: Mapping[str, Any], pos: Position | None = None) -> Any:
        """`value` with every template in it rendered (dicts and lists recursively)."""
        if isinstance(value, str):
            if not self.is_template(value):
                return value
            template = self._compile(value, self._templates, pos, expression=False)
            result = self._run(template, variables, pos)
            # Jinja drops one trailing newline; Ansible gives it back to text results
            # (so "{{ lst }}\n" is still the list, and "{{ n }} x\n" keeps its newline)
            if isinstance(result, str) and value.endswith("\n") and not result.endswith("\n"):
                result = type(result)(result + "\n")
            return result
        if isinstance(value, dict):
            return {self.render(key, variables, pos): self.render(item, variables, pos)
                    for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.render(item, variables, pos) for item in value]
        return value

    def evaluate(self, expression: Any, variables: Mapping[str, Any],
                 pos: Position | None = None, *, consts: bool = False) -> Any:
        """The value of a bare Jinja expression (`when`, `until`, `debug: var=`); with
        `consts` (conditions), a string literal in it holding a template is rendered
        (`"{{ 'hi' }}" == "hi"`), as ansible-core 2.19 does for conditionals."""
        if not isinstance(expression, str):
            return expression
        if isinstance(expression, UnsafeText):
            raise untrusted(pos)
        stripped = expression.strip()
        if is_possibly_all_template(stripped):
            # ansible-core: a template around the whole expression may only name an
            # expression held by a trusted value (`that: "{{ item }}"`), never build one
            result = self.indirect(stripped, variables, pos)
            if not isinstance(result, str):
                return result
            if isinstance(result, UnsafeText):
                raise untrusted(pos)
            stripped = result.strip()
        if _is_single_expression(stripped):
            return self.render(stripped, variables, pos)
        if consts:
            template = self._compile(stripped, self._conditions, pos, expression=True,
                                     consts=True)
        else:
            template = self._compile(stripped, self._expressions, pos, expression=True)
        return self._run(template, variables, pos)

    def condition(self, expression: Any, variables: Mapping[str, Any],
                  pos: Position | None = None) -> bool:
        """A conditional's result, which must be a real bool as in ansible-core 2.19."""
        if isinstance(expression, bool):
            return expression
        if not isinstance(expression, str):
            raise TemplateError("Conditional expressions must be strings.", pos,
                                "write `true`/`false`, or an expression such as `n == 1`")
        try:
            result = self.evaluate(expression, variables, pos, consts=True)
        except (_SyntaxFailure, UntrustedFailure):
            raise
        except TemplateError as exc:
            raise TemplateError(f"Error while evaluating conditional: {exc.message}",
                                exc.pos, exc.hint) from None
        if isinstance(result, bool):
            return result
        if allow_broken_conditionals():  # ANSIBLE_ALLOW_BROKEN_CONDITIONALS: its truth
            return bool(result)
        raise TemplateError(
            f"Conditional result ({bool(result)}) was derived from value of type "
            f"{native_type_name(result)!r} at '{pos if pos else '<unknown>'}'. "
            "Conditionals must have a boolean result.",
            pos, "convert explicitly: `x | bool` for 'yes'/'no' text, `items | length > 0` "
                 "for lists, `x is not none`")

    def indirect(self, text: str, variables: Mapping[str, Any], pos: Position | None = None) -> Any:
        """`text` rendered as a template, keeping the trust of a value it passes through
        untouched (`{{ item }}`, `{{ checks }}`): as in ansible-core 2.19, whose values
        carry their trust, a variable's own string stays trusted; a string the template
        made (a constant, a concatenation, a filter's output) is untrusted."""
        template = self._compile(text, self._templates, pos, expression=False)
        raw = self._run(template, variables, pos, finalize=False)
        if isinstance(raw, (str, list, dict)) and not isinstance(raw, UnsafeText):
            held = []
            for name in self.variables_used(text):
                try:
                    held.append(variables[name])
                except Exception:  # an undefined or failing variable holds nothing
                    continue
            if id(raw) in reachable(held):
                return _finalize(raw, mark=False)
        return self._finish(raw, pos, template)

    def var_expression(self, raw: Any, variables: Mapping[str, Any],
                       pos: Position | None = None) -> Any:
        """`debug: var=`'s expression as ansible-core 2.19 reads it: the argument is
        templated like any other first (`var: "{{ item }}"` with item `k1` gives `k1`,
        which names the result's key), then must be trusted text; a string the template
        built (`var: '{{ "name" }}'`) is refused as untrusted."""
        if isinstance(raw, str) and self.is_template(raw):
            raw = self.indirect(raw, variables, pos)
        if isinstance(raw, UnsafeText):
            raise untrusted(pos)
        return raw

    def assertions(self, that: Any, variables: Mapping[str, Any],
                   pos: Position | None = None) -> list[Any]:
        """`assert`'s `that` as the list of conditions it checks: a string wrapped whole in
        ``{{ }}`` that renders to a list is that list (each item keeps its own trust, as
        ansible-core's assert resolves it only to the container); else `that` listified."""
        if isinstance(that, str) and not isinstance(that, UnsafeText) \
                and is_possibly_all_template(that):
            try:
                resolved = self.indirect(that.strip(), variables, pos)
            except TemplateError:
                resolved = None  # the condition itself then reports the failure
            if isinstance(resolved, list):
                return resolved
        return list(that) if isinstance(that, list) else [that]

    def render_file(self, path: str, variables: Mapping[str, Any], *, trim_blocks: bool = True,
                    lstrip_blocks: bool = False, overrides: Mapping[str, Any] | None = None,
                    searchpath: Sequence[str] = (), native: bool = False) -> Any:
        """The text of the template file at `path` (for the template module and lookup);
        with `native` (the template lookup), a one-expression file gives its value and
        an empty one None, as ansible-core's template lookup does.

        `overrides` are the caller's Jinja options (delimiters, `newline_sequence`...);
        a `#jinja2:` first line overrides them in turn. `searchpath` is where
        `{% include %}` looks. Trailing newlines are those of the file, as in Ansible."""
        try:
            source = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise TemplateError(f"Could not read template {path!r}: {exc}") from None
        pos = Position(path, 1, 1)
        try:
            body, header = split_header(source)
            options = file_options({"trim_blocks": trim_blocks, "lstrip_blocks": lstrip_blocks,
                                    **(overrides or {})}, header)
        except TemplateError as exc:
            raise TemplateError(exc.message, pos, exc.hint) from None
        env = self._file_env(options, tuple(searchpath))
        pos = Position(path, 2, 1) if body is not source else pos
        template: jinja2.Template | None = None
        try:
            template = env.from_string(body)
            output = template.root_render_func(self._context(template, variables))
            if native:
                value = _finalize(_concat(output))
                if not isinstance(value, str):
                    return value
                return pad_newlines(source, value, options["newline_sequence"])
            text = "".join(_text(part) for part in output)
        except TemplateError as exc:
            at = exc.pos or _at(pos, _jinja_lineno(exc.__traceback__, template))
            raise type(exc)(exc.message, at, exc.hint) from None
        except Exception as exc:  # any failure inside user Jinja becomes a positioned error
            raise self._error(exc, pos, template, line_from_exc=True) from None
        return pad_newlines(source, text, options["newline_sequence"])

    def check_syntax(self, text: str, expression: bool = False) -> TemplateSyntaxProblem | None:
        """The first syntax problem in `text`, or None; compiles, never renders."""
        try:
            self._compile_raw(text, expression)
        except jinja2.TemplateSyntaxError as exc:
            message = _error_message(exc, expression)[0]
            return TemplateSyntaxProblem(message, max((exc.lineno or 1) - 1, 0))
        return None

    def variables_used(self, text: str, expression: bool = False) -> set[str]:
        """Names `text` reads from the variables (not globals); empty if it does not parse."""
        try:
            tree = self._parse_expression(text) if expression else self._env.parse(text)
        except jinja2.TemplateSyntaxError:
            return set()
        return set(meta.find_undeclared_variables(tree)) - set(self._env.globals)

    def _parse_expression(self, text: str, consts: bool = False) -> nodes.Template:
        parser = Parser(self._env, text, state="variable")
        expr = parser.parse_expression()
        if not parser.stream.eos:
            parser.fail(f"unexpected {parser.stream.current.type!r} after the expression")
        if consts:
            expr = _ConstTemplates().visit(expr)
        tree = nodes.Template([nodes.Output([expr], lineno=1)], lineno=1)
        tree.set_environment(self._env)
        return tree

    def _compile_raw(self, text: str, expression: bool, consts: bool = False) -> jinja2.Template:
        """`text` compiled; Python code Jinja generates but Python refuses (a keyword
        argument given twice) is a template syntax error too, never a traceback."""
        try:
            if expression:
                return self._env.from_string(self._parse_expression(text, consts))
            return self._env.from_string(text)
        except SyntaxError as exc:
            raise jinja2.TemplateSyntaxError(exc.msg, 1) from None

    def _compile(self, text: str, cache: dict[str, jinja2.Template], pos: Position | None,
                 *, expression: bool, consts: bool = False) -> jinja2.Template:
        template = cache.get(text)
        if template is None:
            try:
                template = self._compile_raw(text, expression, consts)
            except jinja2.TemplateSyntaxError as exc:
                message, hint = _error_message(exc, expression)
                if expression and any(marker in text for marker in _MARKERS):
                    message = message.replace(
                        "Syntax error in expression:", "Syntax error in expression. Template "
                        "delimiters are not supported in expressions:", 1)
                raise _SyntaxFailure(message, _at(pos, exc.lineno or 1), hint) from None
            if len(cache) >= _CACHE_SIZE:
                cache.clear()
            cache[text] = template
        return template

    def _context(self, template: jinja2.Template, variables: Mapping[str, Any]) -> Context:
        scope: ChainMap[str, Any] = ChainMap(
            variables, {"vars": _AllVars(variables)}, self._env.globals)  # type: ignore[arg-type]
        return template.new_context(scope, shared=True)  # type: ignore[arg-type]

    def _run(self, template: jinja2.Template, variables: Mapping[str, Any],
             pos: Position | None, *, finalize: bool = True) -> Any:
        try:
            result = _concat(template.root_render_func(self._context(template, variables)))
            return _finalize(result) if finalize else result
        except TemplateError as exc:
            at = exc.pos or _at(pos, _jinja_lineno(exc.__traceback__, template))
            raise type(exc)(exc.message, at, exc.hint) from None
        except Exception as exc:  # any failure inside user Jinja becomes a positioned error
            raise self._error(exc, pos, template) from None

    def _finish(self, raw: Any, pos: Position | None, template: jinja2.Template) -> Any:
        """`_finalize` of a raw result, its failures (an undefined inside) positioned."""
        try:
            return _finalize(raw)
        except TemplateError as exc:
            raise type(exc)(exc.message, exc.pos or pos, exc.hint) from None
        except Exception as exc:
            raise self._error(exc, pos, template) from None

    def _error(self, exc: Exception, pos: Position | None, template: jinja2.Template | None,
               *, line_from_exc: bool = False) -> TemplateError:
        message, hint = _error_message(exc)
        if line_from_exc and isinstance(exc, jinja2.TemplateSyntaxError):
            lineno = exc.lineno or 1
        else:
            lineno = _jinja_lineno(exc.__traceback__, template)
        kind = UndefinedVariable if isinstance(exc, jinja2.UndefinedError) else TemplateError
        return kind(message, _at(pos, lineno), hint)

    def _file_env(self, options: Mapping[str, Any], searchpath: tuple[str, ...]) -> _Environment:
        key = (tuple(sorted(options.items())), searchpath)
        env = self._file_envs.get(key)
        if env is None:
            settings: dict[str, Any] = dict(options)
            if searchpath:
                settings["loader"] = jinja2.FileSystemLoader(list(searchpath))
            overlay = self._env.overlay(**settings)
            assert isinstance(overlay, _Environment)
            env = overlay
            env.escape_backslashes = False
            self._file_envs[key] = env
        return env


_RENDER_CONST = "__miniplay_render_const"


class _ConstTemplates(NodeTransformer):
    """Wraps each string literal holding a Jinja marker in a call that renders it."""

    def visit_Const(self, node: nodes.Const) -> nodes.Node:
        if isinstance(node.value, str) and any(marker in node.value for marker in _MARKERS):
            return nodes.Call(nodes.Name(_RENDER_CONST, "load"), [node], [], None, None,
                              lineno=node.lineno)
        return node


def _is_single_expression(text: str) -> bool:
    """True for ``{{ expr }}`` with nothing around it (a deprecated `when` form)."""
    return text.startswith("{{") and text.endswith("}}") and text.count("{{") == 1

