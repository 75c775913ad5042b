#!/usr/bin/env python3
"""sqlite_query: run one SQL statement against a SQLite database file on the host.

An example custom module written to miniplay's contract (JSON arguments on stdin, one
JSON result on stdout), kept beside playbooks in ``library/`` with its argument schema
``sqlite_query.schema.json`` (read by ``miniplay validate`` and ``miniplay doc``).

Takes (one JSON object on stdin): ``db`` (path of the database file), ``query`` (one
SQL statement), ``params`` (list or mapping of bound parameters), ``create`` (make the
file when missing; default true), and the internal ``_ansible_check_mode``.
Gives (one JSON object on stdout): ``rows`` (a list of mappings, column name → value,
for statements that return rows), ``rowcount``, ``changed`` (true when the statement
changed any row or the schema), ``query``; check mode runs the statement inside a
transaction and rolls it back, so it reports what would change and changes nothing.
Raises: nothing; a missing database with ``create: false`` or an SQL error is a failed
result with a clear ``msg``.

Standard library only (sqlite3), Python >= 3.8.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from typing import Any

TRUE = ("1", "true", "yes", "on", "y", "t")
KNOWN = {"db", "query", "params", "create"}


def fail(msg: str, **extra: Any) -> dict[str, Any]:
    return dict(extra, failed=True, changed=False, msg=msg)


def check_args(args: dict[str, Any]) -> dict[str, Any] | None:
    """A failed result for bad arguments, else None."""
    unknown = sorted(set(args) - KNOWN)
    if unknown:
        return fail(f"Unsupported parameters for (sqlite_query) module: {', '.join(unknown)}. "
                    f"Supported parameters include: {', '.join(sorted(KNOWN))}.")
    missing = [name for name in ("db", "query") if not args.get(name)]
    if missing:
        return fail("missing required arguments: " + ", ".join(missing))
    params = args.get("params")
    if params is not None and not isinstance(params, (list, dict)):
        return fail("params must be a list or a mapping")
    return None


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA schema_version").fetchone()[0])


def execute(conn: sqlite3.Connection, query: str, params: Any,
            check: bool) -> dict[str, Any]:
    """Run `query` in a transaction; commit it, or roll it back in check mode."""
    before_changes, before_schema = conn.total_changes, schema_version(conn)
    cursor = conn.execute(query, params if params is not None else ())
    names = [column[0] for column in cursor.description or ()]
    rows = [dict(zip(names, row)) for row in cursor.fetchall()] if names else []  # noqa: B905 (3.8)
    changed = (conn.total_changes != before_changes
               or schema_version(conn) != before_schema)
    if check:
        conn.rollback()
    else:
        conn.commit()
    return {"changed": changed, "rows": rows, "rowcount": cursor.rowcount, "query": query}


def run(args: dict[str, Any], check: bool) -> dict[str, Any]:
    problem = check_args(args)
    if problem:
        return problem
    path = os.path.expanduser(str(args["db"]))
    create = str(args.get("create", True)).lower() in TRUE
    if not os.path.exists(path) and not create:
        return fail(f"database {path} does not exist (set create: true to make it)")
    if not os.path.exists(path) and check:
        return {"changed": True, "rows": [], "rowcount": -1, "query": args["query"],
                "msg": f"database {path} would be created"}
    try:
        conn = sqlite3.connect(path, isolation_level="DEFERRED")
    except sqlite3.Error as exc:
        return fail(f"cannot open database {path}: {exc}")
    try:
        conn.execute("BEGIN")
        return execute(conn, str(args["query"]), args.get("params"), check)
    except sqlite3.Error as exc:
        conn.rollback()
        return fail(f"SQL error: {exc}", query=args["query"])
    finally:
        conn.close()


def main() -> None:
    raw = json.load(sys.stdin)
    check = bool(raw.get("_ansible_check_mode"))
    args = {k: v for k, v in raw.items() if not k.startswith("_ansible_")}
    result = run(args, check)
    result["invocation"] = {"module_args": args}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
