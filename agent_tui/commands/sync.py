"""`hotline server`, `hotline user`, `hotline sync`, `hotline queue`: the central server and the
terminal's offline queue, headless."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..display import format_age, json_text, plain
from ..options import Context, common_options


def _default_db(ctx: Context) -> str:
    return f"sqlite:///{(ctx.data_dir / 'server.db').resolve()}"


@click.command("server")
@click.option("--config", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="TOML settings file (env HOTLINE_SERVER_CONFIG); flags and HOTLINE_* "
                   "variables override it.")
@click.option("--db", "db_url", default=None, help="Database URL: postgresql+psycopg://user@host/db, "
              "or sqlite:///PATH (default: server.db in the data dir; env HOTLINE_DB).")
@click.option("--host", default=None, help="Interface to listen on (default 127.0.0.1; env HOTLINE_HOST).")
@click.option("--port", type=int, default=None, help="TCP port (default 8345; env HOTLINE_PORT).")
@click.option("--migrate-only", is_flag=True, help="Bring the database schema up to date and exit.")
@click.option("--remind", is_flag=True, help="Add today's reminders (催办) to overdue orders and exit "
              "(idempotent: one per case per working day; the server also adds them on requests).")
@click.option("--log-level", default=None, help="Default info (env HOTLINE_LOG_LEVEL).",
              type=click.Choice(["critical", "error", "warning", "info", "debug"]))
@common_options
def server_cmd(config: Path | None, db_url: str | None, host: str | None, port: int | None,
               migrate_only: bool, remind: bool, log_level: str | None, ctx: Context) -> None:
    """The central server (sync API, case API, Open311 under /open311/v2/, docs at /docs).

    The schema is migrated on start (Alembic); several servers may share one PostgreSQL.
    """
    from sync.server.settings import SettingsError, load_settings

    try:
        settings = load_settings(config, db=db_url, host=host, port=port, log_level=log_level)
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from None
    if not settings.db:
        settings = settings.model_copy(update={"db": _default_db(ctx)})
    if migrate_only:
        from sync.server.db import Database
        from sync.server.kb import seed_phrases
        from sync.server.migrate import upgrade
        from sync.server.reference import seed_reference

        db = Database(settings.db)
        before, after = upgrade(db)
        seed_reference(db)
        seed_phrases(db)
        click.echo(f"schema: {before or '(empty)'} -> {after}")
        return
    if remind:
        from sync.server.db import Database
        from sync.server.migrate import upgrade
        from sync.server.reminders import remind_due

        db = Database(settings.db)
        try:
            upgrade(db)
            click.echo(f"reminders added: {remind_due(db)}")
        finally:
            db.dispose()
        return
    from sync.server.run import serve

    click.echo(f"hotline server on http://{settings.host}:{settings.port} (docs at /docs)", err=True)
    serve(settings)


@click.group("user")
def user_group() -> None:
    """Users of the central server (roles: agent, lead, admin, department) and their API tokens.

    Every command takes the server's database with --db or HOTLINE_DB (default: server.db in
    the data dir)."""


_DB_HELP = "The server's database URL (env HOTLINE_DB; default: server.db in the data dir)."


def _user_db(db_url: str, ctx: Context):
    """The server's database, migrated (a user command may be the first thing run on it)."""
    from sync.server.db import Database
    from sync.server.migrate import upgrade

    db = Database(db_url or _default_db(ctx))
    upgrade(db)
    return db


@user_group.command("add")
@click.argument("user_id")
@click.option("--role", type=click.Choice(["agent", "lead", "admin", "department"]), default="agent",
              show_default=True)
@click.option("--department", default="", help="For --role department: the department (a catalogue "
              "code, name or alias) whose orders the token sees and works.")
@click.option("--db", "db_url", default="", envvar="HOTLINE_DB", help=_DB_HELP)
@click.option("--expires-days", type=float, default=None, help="Token lifetime (default: no expiry).")
@common_options
def user_add_cmd(user_id: str, role: str, department: str, db_url: str, expires_days: float | None,
                 ctx: Context) -> None:
    """Create a user and print its API token (once: only a hash is stored). A department's
    user (--role department --department CODE) works its orders through /v1/department."""
    from sync.server.auth import add_user

    db = _user_db(db_url, ctx)
    try:
        if department:
            from sync.server.reference import seed_reference

            seed_reference(db)  # the catalogue the department is checked against
        token = add_user(db, user_id, role, expires_days=expires_days, department=department)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        db.dispose()
    click.echo(token)


@user_group.command("token")
@click.argument("user_id")
@click.option("--db", "db_url", default="", envvar="HOTLINE_DB", help=_DB_HELP)
@click.option("--keep-old", is_flag=True, help="Leave the user's other tokens valid.")
@click.option("--expires-days", type=float, default=None, help="Token lifetime (default: no expiry).")
@common_options
def user_token_cmd(user_id: str, db_url: str, keep_old: bool, expires_days: float | None,
                   ctx: Context) -> None:
    """Issue a new token for a user (rotation: the old ones stop working) and print it."""
    from sync.server.auth import new_token

    db = _user_db(db_url, ctx)
    try:
        token = new_token(db, user_id, revoke_old=not keep_old, expires_days=expires_days)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        db.dispose()
    click.echo(token)


@user_group.command("list")
@click.option("--db", "db_url", default="", envvar="HOTLINE_DB", help=_DB_HELP)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per user.")
@common_options
def user_list_cmd(db_url: str, as_json: bool, ctx: Context) -> None:
    """Every user: role, enabled or disabled, live tokens and when the last one expires."""
    from sync.server.auth import list_users

    db = _user_db(db_url, ctx)
    try:
        found = list_users(db)
    finally:
        db.dispose()
    for u in found:
        expires = u["expires_at"].isoformat(timespec="seconds") if u["expires_at"] else ""
        if as_json:
            click.echo(json_text({**u, "created_at": u["created_at"].isoformat(),
                                   "expires_at": expires or None}))
        else:
            state = "disabled" if u["disabled"] else "enabled"
            role = f"{u['role']}:{u['department']}" if u["department"] else u["role"]
            click.echo(f"{u['id']:<20} {role:<6} {state:<9} tokens {u['tokens']}"
                       + (f"  expires {expires}" if expires else "  no expiry" if u["tokens"] else ""))


def _set_state(user_id: str, db_url: str, ctx: Context, *, disabled: bool) -> None:
    from sync.server.auth import set_disabled

    db = _user_db(db_url, ctx)
    try:
        set_disabled(db, user_id, disabled)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        db.dispose()
    click.echo(f"{user_id}: {'disabled' if disabled else 'enabled'}", err=True)


@user_group.command("disable")
@click.argument("user_id")
@click.option("--db", "db_url", default="", envvar="HOTLINE_DB", help=_DB_HELP)
@common_options
def user_disable_cmd(user_id: str, db_url: str, ctx: Context) -> None:
    """Cut a user off at once: every request with any of their tokens gets 401."""
    _set_state(user_id, db_url, ctx, disabled=True)


@user_group.command("enable")
@click.argument("user_id")
@click.option("--db", "db_url", default="", envvar="HOTLINE_DB", help=_DB_HELP)
@common_options
def user_enable_cmd(user_id: str, db_url: str, ctx: Context) -> None:
    """Let a disabled user in again (with the tokens they had that are still live)."""
    _set_state(user_id, db_url, ctx, disabled=False)


@user_group.command("remove")
@click.argument("user_id")
@click.option("--db", "db_url", default="", envvar="HOTLINE_DB", help=_DB_HELP)
@common_options
def user_remove_cmd(user_id: str, db_url: str, ctx: Context) -> None:
    """Remove a user and their tokens (what they did stays recorded under their id)."""
    from sync.server.auth import remove_user

    db = _user_db(db_url, ctx)
    try:
        tokens = remove_user(db, user_id)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        db.dispose()
    click.echo(f"{user_id}: removed, with {tokens} token(s)", err=True)


@click.command("sync")
@click.option("--attempts", type=int, default=5, show_default=True,
              help="Tries when the server is unreachable or busy (with backoff).")
@click.option("--timeout", type=float, default=120.0, show_default=True,
              help="Give up retrying after this many seconds.")
@click.option("--remember", is_flag=True, help="Remember --server (in the store) and --token (in "
              "DATA_DIR/token, readable by you alone) for the TUI and later runs.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@common_options
def sync_cmd(attempts: int, timeout: float, remember: bool, as_json: bool, ctx: Context) -> None:
    """Push the local queue and pull updates once; exit 0 when the queue is empty afterwards.

    Exit codes: 0 queue empty; 1 items still queued (server unreachable) or anything rejected in
    this run (the reasons: `hotline queue --list`); 2 no server configured; 3 this terminal is too old for the server;
    4 the token was refused.
    """
    import time

    from sync.client import queue
    from sync.client.credentials import write_token
    from sync.client.engine import SyncEngine, resolve_settings
    from sync.client.http import AuthFailed, SyncError, TooOld

    store = ctx.store()
    server, token = resolve_settings(store, ctx.server, ctx.token)
    if not server:
        click.echo("no server: give --server URL (or HOTLINE_SERVER)", err=True)
        sys.exit(2)
    if remember:
        store.set_meta(queue.SERVER, server)
        if ctx.token:
            write_token(ctx.data_dir, ctx.token)  # its own file, 0600: never in the store
    from .progress import count_progress

    engine = SyncEngine(store, server, token)
    code, error = 0, ""
    try:
        with count_progress("pull") as progress:  # a first sync of many articles takes a while
            engine.run(attempts=attempts, deadline=time.monotonic() + timeout, progress=progress)
    except TooOld as exc:
        code, error = 3, f"this terminal is too old for the server: {exc}"
    except AuthFailed as exc:
        code, error = 4, f"the server refused the token ({exc}); get a new one with `hotline user token`"
    except SyncError as exc:
        code, error = 1, f"{exc.status}: {plain(str(exc))}"
    finally:
        engine.close()
    info = queue.info(store)
    if code == 0 and (info.pending or engine.report.rejected):  # a rejection is to be read
        code = 1
    report = engine.report.as_dict()
    if as_json:
        click.echo(json_text({"ok": code == 0, "exit": code, "error": error, "report": report,
                               "queue": info.as_dict()}))
    else:
        r = engine.report
        click.echo(f"sent {r.sent}: applied {r.applied}, duplicates {r.duplicates}, rejected "
                   f"{r.rejected}, conflicts {r.conflicts}; pulled {r.pulled_cases} cases, "
                   f"{r.pulled_events} events, {r.pulled_articles} articles, {r.pulled_phrases} phrases; "
                   f"queued {info.pending}", err=True)
        if error:
            click.echo(error, err=True)
    sys.exit(code)


@click.command("queue")
@click.option("--json", "as_json", is_flag=True, help="Print counts and ages as JSON.")
@click.option("--list", "as_list", is_flag=True, help="List what waits, oldest first (rejections with their reason).")
@click.option("--limit", type=int, default=50, show_default=True, help="Items to list.")
@common_options
def queue_cmd(as_json: bool, as_list: bool, limit: int, ctx: Context) -> None:
    """The local offline queue: counts, oldest item age, last error."""
    from models.domain.timeutil import to_iso
    from sync.client import queue

    store = ctx.store()
    info = queue.info(store)
    rows = queue.items(store, limit) if as_list else []
    if as_json:
        data = info.as_dict()
        if as_list:
            data["items"] = [{"seq": r.seq, "name": r.name, "case_id": r.case_id, "state": r.state,
                              "reason": r.reason, "created_at": to_iso(r.created_at)} for r in rows]
        click.echo(json_text(data))
        return
    click.echo(f"queued {info.pending}  oldest {format_age(info.oldest_age, precise=True)}  rejected {info.rejected}  "
               f"conflicts {info.conflicts}")
    click.echo(f"server {plain(info.server) or '-'}  last sync {to_iso(info.last_ok_at) or 'never'}")
    if info.last_error:
        click.echo(f"last error: {plain(info.last_error)} ({to_iso(info.last_error_at)})")
    for r in rows:
        click.echo(f"{r.seq:>7}  {r.state:<9} {plain(r.name):<16} {plain(r.case_id)[:13]:<13} "
                   f"{to_iso(r.created_at)}" + (f"  {plain(r.reason)}" if r.reason else ""))


def start_sync_worker(store, ctx: Context):
    """The TUI's background sync worker, or None in local mode (no server given or stored).

    A server given on the command line is remembered in the store and a token given there (or
    in HOTLINE_TOKEN) in the token file, so the terminal keeps syncing the next time it starts.
    A 401 makes the worker read the token again: the file's, unless one was given."""
    from sync.client import queue
    from sync.client.credentials import stored_token, write_token
    from sync.client.engine import resolve_settings
    from sync.client.worker import SyncWorker

    server, _token = resolve_settings(store, ctx.server, ctx.token)
    if not server:
        return None
    if ctx.server:
        store.set_meta(queue.SERVER, server)
    given = ctx.token if ctx.settings.token_explicit else ""
    if given:
        write_token(store.data_dir, given)
    return SyncWorker(store, server, lambda: given or stored_token(store)).start()
