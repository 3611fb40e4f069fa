"""The command line: init-db, load-sample, info, users, import, report, simulate, backup, restore."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from datetime import date

from civdata.core import auth
from civdata.core.clock import today_local
from civdata.core.config import database_url_from_env
from civdata.core.db import make_engine, session_scope
from civdata.core.errors import CivDataError
from civdata.core.schema import current_revision, init_db
from civdata.io import sample
from civdata.texts import text

CLI_ADMIN = auth.Actor(username="cli", role="admin", display_name="command line")


def default_lang(environ: dict[str, str] | None = None) -> str:
    """Return the language of messages: the system locale's (LC_ALL, LC_MESSAGES, LANG) when it
    is Chinese or English, else Chinese."""
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = (env.get(name) or "").lower()
        if value.startswith("zh"):
            return "zh"
        if value.startswith("en"):
            return "en"
        if value and value not in ("c", "posix", "c.utf-8", "c.utf8"):
            return "zh"
    return "zh"


def _parser() -> argparse.ArgumentParser:
    """Return the argument parser of every subcommand."""
    p = argparse.ArgumentParser(prog="python -m civdata", description="Civilized City Dashboard data tools")
    p.add_argument("--database-url", default=None, help="overrides CIVDATA_DATABASE_URL")
    lang = default_lang()
    p.add_argument("--lang", choices=["zh", "en"], default=lang,
                   help=f"language of messages (default: {lang}, from the system locale "
                   "LC_ALL/LC_MESSAGES/LANG; Chinese unless the locale is English)")
    sub = p.add_subparsers(dest="command", required=True)
    idb = sub.add_parser("init-db", help="create the schema or upgrade it to the newest revision")
    idb.add_argument("--check", action="store_true",
                     help="also verify every foreign key (scans every table)")
    ls = sub.add_parser("load-sample", help="load the sample data set")
    ls.add_argument("--as-of", type=date.fromisoformat, default=None,
                    help="the day that plays the article's 2022-08-05 (default: today)")
    ls.add_argument("--replace", action="store_true", help="replace the data already there")
    ls.add_argument("--if-empty", action="store_true", help="do nothing when data exists")
    sub.add_parser("info", help="rows per table")
    au = sub.add_parser("add-user", help="create an account")
    au.add_argument("username")
    au.add_argument("--role", required=True, choices=["leader", "office", "subdistrict", "market", "admin"])
    au.add_argument("--subdistrict", default=None, help="subdistrict code (role subdistrict)")
    au.add_argument("--name", default=None, help="display name")
    au.add_argument("--email", default=None, help="e-mail for single sign-on")
    au.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    sp = sub.add_parser("set-password", help="set an account's password")
    sp.add_argument("username")
    sp.add_argument("--password-stdin", action="store_true")
    sub.add_parser("list-users", help="list accounts")
    du = sub.add_parser("disable-user", help="disable an account")
    du.add_argument("username")
    im = sub.add_parser("import", help="validate and import a CSV or XLSX file")
    im.add_argument("kind", choices=["sites", "problems", "progress", "inspections", "activities",
                                     "evaluation_system", "survey"])
    im.add_argument("file", help="a .csv or .xlsx file")
    im.add_argument("--dry-run", action="store_true", help="validate only; write nothing")
    im.add_argument("--datum", choices=["wgs84", "gcj02", "bd09"], default=None,
                    help="datum of the file's coordinates (a 'datum' column wins); when not "
                    "given, WGS-84 is assumed and points that look like GCJ-02 (AMap/Tencent) "
                    "or BD-09 (Baidu) next to the site or community they name are refused")
    im.add_argument("--only-valid", action="store_true", help="write the valid rows, skip the rest")
    im.add_argument("--user", default=None, help="act as this account (default: office role 'cli')")
    rp = sub.add_parser("report", help="export a report (weekly meeting: .pptx or .xlsx; "
                        "daily report: .docx or .md; monthly assessment: .xlsx or .docx)")
    rp.add_argument("kind", choices=["weekly", "daily", "monthly"])
    rp.add_argument("--week", default=None, help="ISO week such as 2026-W48 (default: this week)")
    rp.add_argument("--day", type=date.fromisoformat, default=None,
                    help="daily: YYYY-MM-DD (default: yesterday)")
    rp.add_argument("--month", default=None, help="monthly: YYYY-MM (default: this month)")
    rp.add_argument("--subdistrict", default=None, help="daily: one subdistrict's code")
    rp.add_argument("--out", required=True, help="output file (.pptx/.xlsx weekly, .docx/.md "
                    "daily, .xlsx/.docx monthly)")
    sm = sub.add_parser("simulate", help="write a realistic live feed (demonstrations, load tests)")
    sm.add_argument("--rate", type=float, default=30.0, help="events per minute")
    sm.add_argument("--minutes", type=float, default=10.0, help="how long to run")
    sm.add_argument("--seed", type=int, default=None, help="random seed (default: from the clock)")
    sm.add_argument("--as-fast-as-possible", dest="fast", action="store_true",
                    help="do not wait between events (load tests)")
    bk = sub.add_parser("backup", help="write a backup archive of the database and photos")
    bk.add_argument("path", help="archive file to write (.tar.gz)")
    rs = sub.add_parser("restore", help="restore a backup archive into an empty database")
    rs.add_argument("path", help="archive file written by backup")
    rs.add_argument("--replace", action="store_true", help="drop the data already there first")
    rs.add_argument("--allow-unsigned", action="store_true",
                    help="skip the manifest's signature check: an archive of another "
                    "installation (another secret) or of an old version; see docs/deploy.md")
    nt = sub.add_parser("notify", help="messages: scan for events and send the outbox")
    nt_sub = nt.add_subparsers(dest="notify_command", required=True)
    nr = nt_sub.add_parser("run", help="run the sender (scan + send; one sender holds the lease)")
    nr.add_argument("--once", action="store_true", help="one round, then exit (cron, timers)")
    nr.add_argument("--interval", type=float, default=60.0, help="seconds between rounds")
    nr.add_argument("--daily-at", default=None,
                    help="district time the daily report goes out, HH:MM (default "
                    "CIVDATA_NOTIFY_DAILY_AT or 08:00)")
    return p


def _read_password(from_stdin: bool) -> str:
    """Return a password from stdin or an interactive prompt (asked twice)."""
    if from_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise SystemExit("passwords differ")
    return first


def main(argv: list[str] | None = None) -> int:
    """Run one command; return the exit code (0 success, 1 refused, 2 usage)."""
    args = _parser().parse_args(argv)
    url = args.database_url or database_url_from_env()
    engine = make_engine(url)
    try:
        if args.command == "init-db":
            created = init_db(engine, check=args.check)
            print(f"schema ready at revision {current_revision(engine)} "
                  f"({len(created)} tables created)")
            return 0
        if args.command in ("simulate", "backup", "restore", "notify"):
            return _run_with_engine(args, engine)
        init_db(engine)
        with session_scope(engine) as session:
            return _run(args, session)
    except CivDataError as err:
        print(f"{text('cli.error_prefix', args.lang)}{err.message(args.lang)}",
              file=sys.stderr)
        return 1
    except Exception as exc:  # an import never ends in a traceback
        if args.command != "import":
            raise
        detail = f"{type(exc).__name__}: {exc}"[:300]
        print(f"{text('cli.error_prefix', args.lang)}"
              f"{CivDataError('import_unreadable', name=args.file, detail=detail).message(args.lang)}",
              file=sys.stderr)
        return 2
    finally:
        engine.dispose()


def _run_with_engine(args: argparse.Namespace, engine) -> int:
    """Run a command that manages its own sessions (simulate, backup, restore)."""
    if args.command == "notify":
        from civdata.cli.notify import run_cli as run_notify

        return run_notify(engine, args)
    if args.command == "simulate":
        from civdata.io.simulate import run_cli as run_simulate

        return run_simulate(engine, args)
    from civdata.io import backup

    if args.command == "backup":
        return backup.run_backup_cli(engine, args)
    return backup.run_restore_cli(engine, args)


def _run(args: argparse.Namespace, session) -> int:
    """Run a command that needs a session."""
    if args.command == "load-sample":
        if args.if_empty and not sample.database_is_empty(session):
            print("database already holds data; nothing loaded")
            return 0
        as_of = args.as_of or today_local()
        counts = sample.load_sample(session, as_of=as_of, replace=args.replace)
        print(f"sample loaded as of {as_of.isoformat()}")
        _print_counts(counts)
    elif args.command == "info":
        _print_counts(sample.table_counts(session))
    elif args.command == "add-user":
        password = _read_password(args.password_stdin)
        auth.create_user(session, CLI_ADMIN, args.username, password, args.role,
                         args.subdistrict, args.name, args.email)
        print(f"user {args.username} created")
    elif args.command == "set-password":
        auth.set_password(session, CLI_ADMIN, args.username, _read_password(args.password_stdin))
        print(f"password of {args.username} set")
    elif args.command == "list-users":
        print(auth.users_table(session).to_string(index=False))
    elif args.command == "disable-user":
        auth.set_user_active(session, CLI_ADMIN, args.username, False)
        print(f"user {args.username} disabled")
    elif args.command == "import":
        from civdata.io.importers import run_cli_import

        return run_cli_import(session, args)
    elif args.command == "report" and args.kind in ("daily", "monthly"):
        from civdata.cli.rhythm import run_report

        return run_report(session, args)
    elif args.command == "report":
        from civdata.core.clock import iso_week_label
        from civdata.domain import meetings
        from civdata.io import reports

        week = args.week or iso_week_label(today_local())
        snapshot = meetings.meeting_snapshot(session, week)
        size = reports.write_report(snapshot, args.out, args.lang)
        print(f"{args.out}: weekly meeting {snapshot['week']} "
              f"({'record' if snapshot.get('record') else 'live'}), {size} bytes")
    return 0


def _print_counts(counts: dict[str, int]) -> None:
    """Print 'table: rows' lines."""
    width = max(len(k) for k in counts)
    for name, n in counts.items():
        print(f"{name:<{width}}  {n}")
