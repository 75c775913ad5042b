"""The `miniplay` command: argv → options → pipeline → exit code.

Takes: command-line arguments. Gives: an exit code, ansible-playbook's where they
overlap: 0 ok, 1 usage errors Ansible reports with 1 (missing playbook, missing
`-e @file`), 2 a host failed, 4 parse errors or an unreachable host, 5 bad options,
99 interrupted, 250 an internal error (printed with its traceback and a request to
report it). Raises: nothing; this is the only place errors become exit codes.

No logic lives here: each subcommand wires the stages together.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from miniplay import __version__
from miniplay.ansible_env import check_environment
from miniplay.errors import MiniplayError, OptionsError, UsageError
from miniplay.options import RunOptions

if TYPE_CHECKING:  # the heavy stages load only when a subcommand needs them
    from miniplay.events import EventSink
    from miniplay.results import HostStats

SUBCOMMANDS = ("validate", "jobs", "explain", "doc")
BUG_REPORT = "This is a bug in miniplay; please report it with the traceback above."


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so the exit code ladder stays here."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise OptionsError(message, hint=f"see `{self.prog} --help`")


def _run_parser() -> _Parser:
    p = _Parser(prog="miniplay", description="Run Ansible playbooks, faster.")
    p.add_argument("playbooks", nargs="+", metavar="PLAYBOOK")
    p.add_argument("--version", action="version", version=f"miniplay {__version__}")
    p.add_argument("-i", "--inventory", action="append", default=[])
    p.add_argument("-l", "--limit")
    p.add_argument("-e", "--extra-vars", action="append", default=[])
    p.add_argument("-f", "--forks", type=int, default=5)
    p.add_argument("-c", "--connection")
    p.add_argument("-C", "--check", action="store_true")
    p.add_argument("-D", "--diff", action="store_true")
    p.add_argument("-v", "--verbose", action="count", default=0)
    p.add_argument("--verbosity", type=int, default=None)
    p.add_argument("-t", "--tags", action="append", default=[])
    p.add_argument("--skip-tags", action="append", default=[])
    p.add_argument("--start-at-task")
    p.add_argument("--force-handlers", action="store_true")
    p.add_argument("--timeout", type=float, default=10.0)
    p.add_argument("-M", "--module-path", action="append", default=[])
    p.add_argument("-o", "--output", choices=("text", "json"), default="text")
    p.add_argument("--junit-xml", metavar="FILE", help="also write a JUnit XML report")
    p.add_argument("--timeline", metavar="FILE",
                   help="also write the run's timeline (FILE.html: a page; FILE.json: data)")
    p.add_argument("--syntax-check", action="store_true")
    p.add_argument("--list-hosts", action="store_true")
    p.add_argument("--list-tasks", action="store_true")
    p.add_argument("--list-tags", action="store_true")
    return p


def _validate_parser() -> _Parser:
    p = _Parser(prog="miniplay validate",
                description="Check playbooks statically; exit 0 when valid, 4 when not.")
    from miniplay.report_formats import FORMATS

    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--format", choices=FORMATS, default="human")
    p.add_argument("--output", metavar="FILE",
                   help="write the report to FILE; the human text still goes to the terminal")
    p.add_argument("--disable", action="append", default=[], metavar="RULE",
                   help="turn a rule off (repeatable, or comma-separated)")
    p.add_argument("--strict", action="store_true", help="warnings fail validation too")
    p.add_argument("-e", "--extra-var", action="append", default=[], metavar="NAME",
                   help="a variable given with -e at run time (NAME, k=v, JSON or @file)")
    p.add_argument("-i", "--inventory", action="append", default=[],
                   help="an inventory whose variables the playbooks may use")
    p.add_argument("--playbooks-only", action="store_true",
                   help="skip named files that do not look like playbooks (pre-commit)")
    return p


def _jobs_parser() -> _Parser:
    p = _Parser(prog="miniplay jobs",
                description="List, show, clean up or kill async jobs on hosts.")
    p.add_argument("action", choices=("list", "show", "cleanup", "kill"))
    p.add_argument("jid", nargs="?")
    p.add_argument("-i", "--inventory", action="append", default=[])
    p.add_argument("-l", "--limit")
    p.add_argument("--hosts", help="host pattern (default: all, or localhost without -i)")
    p.add_argument("--finished", action="store_true", help="cleanup: only finished jobs")
    p.add_argument("--format", choices=("human", "json"), default="human")
    return p


def cmd_jobs(argv: Sequence[str]) -> int:
    """`miniplay jobs ACTION [JID]`: the async jobs on each host."""
    import json

    from miniplay.inventory import load_inventory
    from miniplay.jobs import JobsRequest, exit_code, format_answers, run_jobs

    args = _jobs_parser().parse_args(argv)
    if args.action in ("show", "kill") and not args.jid:
        raise OptionsError(f"`miniplay jobs {args.action}` needs a job id")
    inventory = load_inventory(args.inventory, None)
    pattern = args.hosts or ("all" if args.inventory else "localhost")
    options = RunOptions(inventory=tuple(args.inventory), limit=args.limit,
                         async_dir=os.environ.get("ANSIBLE_ASYNC_DIR"))
    request = JobsRequest(args.action, pattern, args.jid, args.finished)
    import asyncio

    answers = asyncio.run(run_jobs(inventory, options, request))
    if args.format == "json":
        print(json.dumps(answers, indent=4, sort_keys=True))
    else:
        print(format_answers(answers, args.action))
    return exit_code(answers)


def _explain_parser() -> _Parser:
    p = _Parser(prog="miniplay explain",
                description="Say what a playbook will do, without running anything.")
    p.add_argument("playbook", metavar="PLAYBOOK")
    p.add_argument("-i", "--inventory", action="append", default=[])
    p.add_argument("-l", "--limit")
    p.add_argument("-e", "--extra-vars", action="append", default=[])
    p.add_argument("-t", "--tags", action="append", default=[])
    p.add_argument("--skip-tags", action="append", default=[])
    p.add_argument("--format", choices=("human", "json"), default="human")
    return p


def cmd_explain(argv: Sequence[str]) -> int:
    """`miniplay explain PLAYBOOK`: the plan in words (or JSON); nothing runs."""
    import json

    from miniplay.explain import explain, render
    from miniplay.inventory import load_inventory
    from miniplay.parser import parse_playbook
    from miniplay.variables import parse_extra_vars

    args = _explain_parser().parse_args(argv)
    if not Path(args.playbook).is_file():
        raise UsageError(f"the playbook: {args.playbook} could not be found")
    if not _validate_or_raise(args.playbook):
        return 4
    here = Path(args.playbook).parent
    options = RunOptions(inventory=tuple(args.inventory), limit=args.limit,
                         extra_vars=parse_extra_vars(args.extra_vars, str(here)),
                         tags=_split_tags(args.tags) or ("all",),
                         skip_tags=_split_tags(args.skip_tags))
    inventory = load_inventory(options.inventory, str(here.resolve()))
    plan = explain(parse_playbook(args.playbook), inventory, options)
    print(json.dumps(plan, indent=2) if args.format == "json" else render(plan), end="")
    return 0


def _split_tags(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(t.strip() for v in values for t in v.split(",") if t.strip())


def _check_hash_behaviour() -> None:
    """`ANSIBLE_HASH_BEHAVIOUR`: `replace` (Ansible's default) is how miniplay combines
    variables; `merge` would deep-merge dictionaries across every variable layer, which
    miniplay does not build, so it is refused rather than ignored. Other values are
    refused as Ansible refuses them."""
    value = os.environ.get("ANSIBLE_HASH_BEHAVIOUR")
    if value is None or value == "replace":
        return
    if value == "merge":
        raise OptionsError("ANSIBLE_HASH_BEHAVIOUR=merge is not built in miniplay (it "
                           "deep-merges dictionaries across variable layers; miniplay "
                           "replaces them)",
                           hint="unset it (replace is Ansible's default), or combine the "
                                "dictionaries explicitly with the combine filter")
    raise OptionsError(f"Invalid value {value!r} for config 'DEFAULT_HASH_BEHAVIOUR'. "
                       "Valid values are: replace, merge")


def _options(args: argparse.Namespace) -> RunOptions:
    if args.forks < 1:
        raise OptionsError("--forks must be at least 1")
    _check_hash_behaviour()
    check_environment()
    base = str(Path(args.playbooks[0]).parent)
    host_key = os.environ.get("ANSIBLE_HOST_KEY_CHECKING", "true").lower()
    return RunOptions(
        inventory=tuple(args.inventory),
        limit=args.limit,
        extra_vars=_extra_vars(args.extra_vars, base),
        forks=args.forks,
        check=args.check,
        diff=args.diff,
        verbosity=args.verbosity if args.verbosity is not None else args.verbose,
        tags=_split_tags(args.tags) or ("all",),
        skip_tags=_split_tags(args.skip_tags),
        start_at_task=args.start_at_task,
        force_handlers=args.force_handlers,
        timeout=args.timeout,
        module_paths=tuple(args.module_path),
        host_key_checking=host_key not in ("false", "0", "no", "off"),
        poll_interval=int(os.environ.get("ANSIBLE_POLL_INTERVAL", "15")),
        async_dir=os.environ.get("ANSIBLE_ASYNC_DIR"),
        connection=args.connection,
    )


def _extra_vars(values: Sequence[str], base: str) -> dict[str, object]:
    from miniplay.variables import parse_extra_vars

    return parse_extra_vars(values, base)


def _colour(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR") or os.environ.get("ANSIBLE_NOCOLOR"):
        return False
    return stream.isatty()


def _sink(args: argparse.Namespace, options: RunOptions) -> EventSink:
    """The display sink, plus the report files asked for (`--junit-xml`, `--timeline`)."""
    sinks = [_display_sink(args, options)]
    if args.junit_xml:
        from miniplay.output.junit import JUnitOutput

        sinks.append(JUnitOutput(args.junit_xml))
    if args.timeline:
        from miniplay.output.timeline import FORMATS, TimelineOutput

        if Path(args.timeline).suffix.lower() not in FORMATS:
            raise OptionsError(f"--timeline {args.timeline}: the file must end in .html or .json")
        sinks.append(TimelineOutput(args.timeline))
    from miniplay.events import FanOut

    return sinks[0] if len(sinks) == 1 else FanOut(*sinks)


def _display_sink(args: argparse.Namespace, options: RunOptions) -> EventSink:
    if args.output == "json":
        from miniplay.output.json_out import JsonOutput

        return JsonOutput(sys.stdout)
    from miniplay.output.default import DefaultOutput

    width = os.get_terminal_size().columns if sys.stdout.isatty() else 80
    text = DefaultOutput(sys.stdout, sys.stderr, options.verbosity, _colour(sys.stdout), width)
    if not sys.stdout.isatty():
        return text
    from miniplay.output.progress import LiveProgress

    return LiveProgress(text, sys.stdout)


def _validate_or_raise(path: str) -> bool:
    """Print every diagnostic for `path`; True when it has no errors."""
    from miniplay.validate import validate_file

    diagnostics = validate_file(path)
    for diagnostic in diagnostics:
        print(diagnostic.render(), file=sys.stderr)
    return not any(d.severity == "error" for d in diagnostics)


def cmd_doc(argv: Sequence[str]) -> int:
    """`miniplay doc MODULE` / `miniplay doc --list`: module documentation from schemas."""
    from miniplay.doc import main_doc

    return main_doc(argv)


def cmd_validate(argv: Sequence[str]) -> int:
    """`miniplay validate PATH...`: 0 when valid, 4 when any error (with `--strict`, any
    warning) was found; `--output FILE` gets the report, the terminal the human text."""
    from miniplay.validate import (
        ValidateSettings,
        extra_var_names,
        failed,
        render_report,
        validate_run,
    )

    args = _validate_parser().parse_args(argv)
    gc.disable()  # a short-lived process that allocates much and frees little: ~20% faster
    settings = ValidateSettings(extra_vars=extra_var_names(args.extra_var),
                                inventories=tuple(args.inventory),
                                disabled=frozenset(_split_tags(args.disable)),
                                playbooks_only=args.playbooks_only)
    run = validate_run(args.paths, settings)
    report = render_report(run.diagnostics, args.format, run.files)
    if args.output:
        try:
            Path(args.output).write_text(report + "\n", encoding="utf-8")
        except OSError as exc:
            raise OptionsError(f"cannot write --output {args.output}: {exc.strerror}") from None
        report = render_report(run.diagnostics)
    if report:
        print(report)
    return 4 if failed(run.diagnostics, args.strict) else 0


def cmd_run(argv: Sequence[str]) -> int:
    """`miniplay PLAYBOOK...`: validate, parse, then run each playbook in turn."""
    args = _run_parser().parse_args(argv)
    options = _options(args)
    for path in args.playbooks:
        if not Path(path).is_file():
            raise UsageError(f"the playbook: {path} could not be found")
        if not _validate_or_raise(path):
            return 4
    stats: dict[str, HostStats] = {}
    for path in args.playbooks:
        code = _run_one(path, args, options, stats)
        if code != 0:  # as ansible-playbook: a playbook that did not succeed ends the run
            return code
    return 0


def _run_one(path: str, args: argparse.Namespace, options: RunOptions,
             stats: dict[str, HostStats]) -> int:
    """Run one playbook; `stats` carries the recap counts from one playbook to the next."""
    from miniplay import executor
    from miniplay.executor.listing import list_playbook
    from miniplay.executor.preflight import preflight
    from miniplay.inventory import load_inventory
    from miniplay.parser import parse_playbook
    from miniplay.runner import ModuleFinder, search_dirs

    playbook = parse_playbook(path)
    if args.syntax_check:
        print(f"\nplaybook: {path}")
        return 0
    inventory = load_inventory(options.inventory, str(Path(path).resolve().parent))
    if args.list_hosts or args.list_tasks or args.list_tags:
        print(list_playbook(playbook, inventory, options, args))
        return 0
    preflight(playbook, ModuleFinder(search_dirs(str(Path(path).resolve().parent),
                                                 options.module_paths, playbook.role_paths)))
    import asyncio

    summary = asyncio.run(executor.run(playbook, inventory, options, _sink(args, options),
                                       stats))
    stats.update(summary.stats)
    return summary.exit_code


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `miniplay` console script."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if args and args[0] in SUBCOMMANDS and not Path(args[0]).is_file():
            command = {"validate": cmd_validate, "jobs": cmd_jobs,
                       "explain": cmd_explain, "doc": cmd_doc}[args[0]]
            return command(args[1:])
        return cmd_run(args)
    except MiniplayError as exc:
        print(exc.render(), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("[ERROR]: User interrupted execution", file=sys.stderr)
        return 99
    except SystemExit as exc:  # argparse --help / --version
        return int(exc.code or 0)
    except BrokenPipeError:  # `miniplay validate ... | head`: the reader went away
        # Point stdout at /dev/null so the interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # what a shell reports for a command killed by SIGPIPE (128 + 13)
    except Exception:
        import traceback

        traceback.print_exc()
        print(BUG_REPORT, file=sys.stderr)
        return 250
