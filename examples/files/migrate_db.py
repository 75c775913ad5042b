#!/usr/bin/env python3
"""A slow database migration for examples/async_migration.yml (standard library only).

    migrate_db.py seed    --db PATH [--rows N]   create `users_v1` with N rows (fresh)
    migrate_db.py migrate --db PATH [--batch N] [--pause S] [--fail]
    migrate_db.py check   --db PATH              print row counts as JSON

`migrate` copies `users_v1` into `users_v2` (emails lower-cased, a `domain` column
added) in batches, pausing between batches like a real migration under load. It prints
one line per batch and a summary. With `--fail` it stops half-way with an error on
stderr and exit code 1; every batch so far is rolled back, so the old table is intact.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time


def seed(db: sqlite3.Connection, rows: int) -> None:
    db.execute("DROP TABLE IF EXISTS users_v1")
    db.execute("DROP TABLE IF EXISTS users_v2")
    db.execute("CREATE TABLE users_v1 (id INTEGER PRIMARY KEY, email TEXT NOT NULL)")
    db.executemany("INSERT INTO users_v1 (id, email) VALUES (?, ?)",
                   ((i, f"User{i}@Example.ORG") for i in range(1, rows + 1)))
    db.commit()
    print(f"seeded {rows} rows into users_v1")


def migrate(db: sqlite3.Connection, batch: int, pause: float, fail: bool) -> int:
    db.execute("CREATE TABLE users_v2 (id INTEGER PRIMARY KEY, email TEXT, domain TEXT)")
    total = db.execute("SELECT COUNT(*) FROM users_v1").fetchone()[0]
    done = 0
    while done < total:
        rows = db.execute("SELECT id, email FROM users_v1 ORDER BY id LIMIT ? OFFSET ?",
                          (batch, done)).fetchall()
        db.executemany("INSERT INTO users_v2 (id, email, domain) VALUES (?, ?, ?)",
                       ((i, e.lower(), e.split("@")[1].lower()) for i, e in rows))
        done += len(rows)
        print(f"batch: {done}/{total} rows", flush=True)
        if fail and done * 2 >= total:
            raise RuntimeError(f"constraint violated after {done} of {total} rows")
        time.sleep(pause)
    db.commit()
    print(f"migrated {done} rows into users_v2")
    return done


def check(db: sqlite3.Connection) -> dict[str, int]:
    tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
    return {t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]  # fixed table names
            for t in ("users_v1", "users_v2") if t in tables}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("seed", "migrate", "check"))
    parser.add_argument("--db", required=True)
    parser.add_argument("--rows", type=int, default=600)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--pause", type=float, default=0.6)
    parser.add_argument("--fail", action="store_true")
    args = parser.parse_args()
    db = sqlite3.connect(args.db)
    try:
        if args.action == "seed":
            seed(db, args.rows)
        elif args.action == "migrate":
            migrate(db, args.batch, args.pause, args.fail)
        else:
            print(json.dumps(check(db)))
    except (RuntimeError, sqlite3.Error) as exc:
        db.rollback()
        print(f"{exc}; rolled back", file=sys.stderr)
        return 1
    finally:
        db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
