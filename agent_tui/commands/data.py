"""`hotline import`, `hotline cases`, `hotline catalogue`: moving case data in and out."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..display import json_text, literal, plain
from ..i18n import t
from ..options import Context, common_options
from .progress import byte_progress, count_progress


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--map", "mapping", default=None,
              help="Column mapping: nyc311, la311, gov_messages_zh, hotline, or a mapping TOML file "
                   "(default: detected from the header).")
@click.option("--tz", default=None, help="Zone of times without one (default: the mapping's, else local).")
@click.option("--encoding", default="utf-8-sig", show_default=True, help="Text encoding of the file.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--accept-departments", is_flag=True,
              help="Add department names the catalogue does not know to it at once (a city's own "
                   "agency list), instead of holding them for a lead (`catalogue pending`).")
@common_options
def import_cmd(file: Path, mapping: str | None, tz: str | None, encoding: str, as_json: bool,
               accept_departments: bool, ctx: Context) -> None:
    """Import prior cases from a CSV file (the case schema, or a mapped 311 / Chinese export).

    Bad rows are reported by line number and the rest import; importing the same file again adds
    no duplicates.
    """
    if ctx.server:
        _import_to_server(file, mapping, tz, encoding, as_json, ctx)
        return
    from models.routing.apart import Learning

    store = ctx.store()
    learning = Learning(store)  # starts once the rows are in, beside the import's last steps
    try:
        report = _read_into(store, file, mapping, tz, encoding, ctx, accept_departments,
                            rows_written=learning.start)
    except BaseException:  # no learning left running behind a failed import
        learning.stop()
        raise
    _learn(learning, ctx)
    if as_json:
        click.echo(json_text(report.as_dict()))
        return
    click.echo(t("cli.imported", ctx.lang, path=file.name, imported=report.imported,
                 duplicates=report.duplicates, rejected=report.rejected_count, mapping=report.mapping))
    for rej in report.rejected[:20]:
        click.echo(t("cli.rejected_row", ctx.lang, line=rej.line, reason=rej.reason))
    if report.rejected_count > 20:
        click.echo(t("cli.more_rejected", ctx.lang, n=report.rejected_count - 20))
    if report.departments_added:
        click.echo(t("cli.departments_added", ctx.lang, n=len(report.departments_added)))
    if report.departments_matched:
        click.echo(t("cli.departments_matched", ctx.lang, n=len(report.departments_matched)))
    if report.departments_pending:
        click.echo(t("cli.departments_pending", ctx.lang, n=len(report.departments_pending)))


def _learn(learning, ctx: Context) -> None:
    """The routing model learns the imported history in the same run, with a bar, so that the
    first suggestion after an import does not wait for it (the search index is already
    current): a big file's learning started beside the import's last steps, and is followed
    to its end here."""
    with count_progress(t("route.learning", ctx.lang)) as progress:
        learning.finish(progress)


def _read_into(store, file: Path, mapping: str | None, tz: str | None, encoding: str,
               ctx: Context, accept_departments: bool = False, rows_written=None):
    """The file's cases into `store` (which gets the catalogue first), with a progress bar."""
    from models.importing.importer import ImportError_, import_csv
    from models.importing.mapping import MappingError
    from models.reference.catalogue import ensure_catalogue

    with store.writer() as session:
        ensure_catalogue(session)
    try:
        with (byte_progress(t("cli.importing", ctx.lang) + f" {file.name}") as progress,
              count_progress(t("cli.building_indexes", ctx.lang)) as index_progress):
            return import_csv(store, file, mapping, tz=tz, encoding=encoding, progress=progress,
                              accept_departments=accept_departments,
                              index_progress=index_progress, rows_written=rows_written)
    except (ImportError_, MappingError) as exc:
        raise click.ClickException(str(exc)) from exc


def _import_to_server(file: Path, mapping: str | None, tz: str | None, encoding: str,
                      as_json: bool, ctx: Context) -> None:
    """`import --server`: the file's cases go to the central server, not to this terminal.

    They are read through the same importer into a scratch store, queued as ordinary
    `case.create` intents and pushed; the server refuses a case whose source id it already has,
    so importing the same file twice adds nothing there either."""
    import tempfile

    from sqlmodel import select

    from models.store import open_store
    from models.store.outbox import enqueue_case_created
    from models.store.tables import Case
    from sync.client.engine import SyncEngine
    from sync.client.http import SyncError

    with tempfile.TemporaryDirectory(prefix="hotline-import-") as scratch:
        store = open_store(scratch)
        report = _read_into(store, file, mapping, tz, encoding, ctx)
        with store.writer() as session:
            for case in session.exec(select(Case)).all():
                case.sync_state = "local"
                enqueue_case_created(session, case, [])
            session.commit()
        engine = SyncEngine(store, ctx.server, ctx.token)
        try:
            engine.push_all()
        except SyncError as exc:
            raise click.ClickException(f"{ctx.server}: {exc}") from exc
        finally:
            engine.close()
        sent = engine.report
        summary = {**report.as_dict(), "server": ctx.server, "sent": sent.sent,
                   "applied": sent.applied, "refused": sent.rejected}
    if as_json:
        click.echo(json_text(summary))
        return
    click.echo(t("cli.imported_server", ctx.lang, path=file.name, server=ctx.server,
                 applied=sent.applied, refused=sent.rejected, rejected=report.rejected_count))
    for rej in report.rejected[:20]:
        click.echo(t("cli.rejected_row", ctx.lang, line=rej.line, reason=rej.reason))


@click.command("cases")
@click.option("--json", "as_json", is_flag=True, help="JSON lines, one case each (schema columns + sync_state).")
@click.option("--limit", type=int, default=None, help="At most N cases (newest first in the table).")
@common_options
def cases_cmd(as_json: bool, limit: int | None, ctx: Context) -> None:
    """List the cases in the local store; with --server URL (and a token), those on the server."""
    from models.cases import case_record, iter_all_cases, recent_cases

    if ctx.server:
        cases = _server_cases(ctx, limit)
    store = ctx.store() if not ctx.server else None
    if as_json and ctx.server:
        for case in cases:
            sys.stdout.write(json_text(case_record(case)) + "\n")
        return
    if as_json:
        out = sys.stdout
        for n, case in enumerate(iter_all_cases(store)):
            if limit is not None and n >= limit:
                break
            out.write(json_text(case_record(case)) + "\n")
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from models.domain.enums import Status

    table = Table(box=None, pad_edge=False)
    for key, width in (("col.case_no", 16), ("col.created", 11), ("col.status", 10),
                       ("col.caller", 8), ("col.summary", None)):
        table.add_column(t(key, ctx.lang), no_wrap=True, overflow="ellipsis", min_width=width,
                         max_width=width)
    for case in (cases[: limit or 50] if ctx.server else recent_cases(store, limit or 50)):
        table.add_row(literal(case.case_no), Text(case.created_at.astimezone().strftime("%m-%d %H:%M")),
                      Text(Status.label_for(case.status, ctx.lang)), literal(case.caller_name),
                      literal(case.title or case.description[:200]))
    Console(markup=False, highlight=False).print(table)


def _server_cases(ctx: Context, limit: int | None) -> list:
    """Every case on the central server (newest first), paged; sync_state says where they are."""
    from models.store.tables import Case
    from sync.client.http import ServerApi, SyncError
    from sync.protocol import CaseWire

    api = ServerApi(ctx.server, lambda: ctx.token)
    out: list[Case] = []
    try:
        while limit is None or len(out) < limit:
            page = api.get("/v1/cases", limit=1000, offset=len(out))
            if not page:
                break
            for raw in page:
                wire = CaseWire.model_validate(raw)
                out.append(Case(**wire.model_dump(), sync_state="synced"))
    except SyncError as exc:
        raise click.ClickException(f"{ctx.server}: {exc}") from exc
    finally:
        api.close()
    return out[:limit] if limit is not None else out


@click.group("catalogue")
def catalogue_group() -> None:
    """The department catalogue and category tree (reference data)."""


@catalogue_group.command("load")
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@common_options
def catalogue_load(file: Path | None, ctx: Context) -> None:
    """(Re-)load the catalogue from FILE (default: the built-in one); imported departments stay."""
    from models.reference.catalogue import CatalogueError, load_catalogue

    store = ctx.store()
    try:
        with store.writer() as session:
            departments, categories = load_catalogue(session, file)
    except CatalogueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(t("cli.catalogue_loaded", ctx.lang, departments=departments, categories=categories))


@catalogue_group.command("pending")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@common_options
def catalogue_pending(as_json: bool, ctx: Context) -> None:
    """Department names from imported data that matched nothing in the catalogue, most named
    first, with the closest catalogue department (agents never see them until a lead decides)."""
    from models.reference.matching import closest
    from models.reference.pending import list_pending
    from models.reference.views import departments

    store = ctx.store()
    catalogue = [d for d in departments(store) if d.source == "catalogue"]
    rows = list_pending(store)
    for p in rows:
        near = closest(p.name, catalogue)
        code, ratio = near[0] if near else ("", 0.0)
        if as_json:
            click.echo(json_text({"name": p.name, "code": p.code, "cases": p.cases,
                                  "source": p.source, "first_seen": p.first_seen,
                                  "closest": code, "closest_similarity": ratio}))
        else:  # names come from imported data: printed without control characters
            click.echo(f"{p.cases:>6}  {plain(p.name)}  ({plain(p.code)})  ~ {code} {ratio:.2f}")
    if not as_json:
        click.echo(t("cli.pending_total", ctx.lang, n=len(rows)), err=True)


@catalogue_group.command("map")
@click.argument("name")
@click.argument("code")
@common_options
def catalogue_map(name: str, code: str, ctx: Context) -> None:
    """NAME (a pending name, or its code) is the catalogue department CODE: its cases move to
    CODE and NAME becomes an alias of it, so later imports match it."""
    from models.reference.pending import PendingError, map_pending
    from models.routing import stats

    store = ctx.store()
    try:
        moved = map_pending(store, name, code)
    except PendingError as exc:
        raise click.ClickException(str(exc)) from exc
    stats.invalidate(store.data_dir)  # routing learns the moved cases again on its next refresh
    click.echo(t("cli.pending_mapped", ctx.lang, name=name, code=code, n=moved))


@catalogue_group.command("accept")
@click.argument("name")
@common_options
def catalogue_accept(name: str, ctx: Context) -> None:
    """NAME (a pending name, or its code) is a department of its own: add it to the catalogue."""
    from models.reference.pending import PendingError, accept_pending

    try:
        code = accept_pending(ctx.store(), name)
    except PendingError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(t("cli.pending_accepted", ctx.lang, name=name, code=code))
