"""`hotline new`: file a case from the command line through the intake form's save path."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import click

from ..display import plain
from ..i18n import t
from ..options import Context, common_options


@click.command("new")
@click.option("--phone", default="", help="Caller's phone (any country; empty when withheld).")
@click.option("--name", default="", help="Caller's name.")
@click.option("--description", default="", help="What the caller said (required).")
@click.option("--address", default="", help="Where the problem is (required to dispatch).")
@click.option("--category", default="", help="Category: code, Chinese or English name, or alias.")
@click.option("--department", default="", help="Lead department: code, name, alias.")
@click.option("--co-department", "co_departments", multiple=True, help="Co-handling department (repeatable).")
@click.option("--location-kind", default="other", help="public_road, residential_compound, business_premises, public_facility, other.")
@click.option("--urgency", default="normal", help="normal, urgent, critical.")
@click.option("--disposition", default="dispatch", help="dispatch, answered, redirect_court, redirect_market, redirect_owners.")
@click.option("--notes", default="", help="A first note on the timeline.")
@click.option("--batch", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="File every row of a case CSV the same way (bad rows reported by line).")
@common_options
def new_cmd(phone: str, name: str, description: str, address: str, category: str, department: str,
            co_departments: tuple[str, ...], location_kind: str, urgency: str, disposition: str,
            notes: str, batch: Path | None, ctx: Context) -> None:
    """File one case exactly as the intake form would, and print its case number."""
    from models.cases import file_case
    from models.domain.case_shape import CaseDraft
    from models.domain.messages import ValidationFailed
    from models.reference.catalogue import ensure_catalogue

    store = ctx.store()
    with store.writer() as session:
        ensure_catalogue(session)
    if batch is not None:
        _file_batch(store, batch, ctx)
        return
    draft = CaseDraft(caller_phone=phone, caller_name=name, description=description,
                      address=address, category=category, lead_department=department,
                      co_departments=list(co_departments), location_kind=location_kind,
                      urgency=urgency, disposition=disposition, notes=notes)
    try:
        case = file_case(store, draft, ctx.agent)
    except ValidationFailed as exc:
        for message in exc.messages(ctx.lang):
            click.echo(plain(message), err=True)
        sys.exit(2)
    click.echo(case.case_no)


def _file_batch(store, path: Path, ctx: Context) -> None:
    """Cases first written on paper: each row filed alone, so one bad row stops nothing."""
    from models.cases import file_case
    from models.domain.case_shape import CaseDraft
    from models.domain.messages import ValidationFailed
    from models.domain.timeutil import DateParseError, DateParser
    from models.importing.mapping import normalise_header

    from . import batch  # noqa: F401  (fields of any size; the form's limits refuse a row by line)

    parse_date = DateParser()
    filed = rejected = 0
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = [normalise_header(h) for h in next(reader, [])]
        next_line = 2
        for row in reader:
            line, next_line = next_line, reader.line_num + 1
            if not row:
                continue
            if len(row) != len(header):
                click.echo(t("cli.rejected_row", ctx.lang, line=line,
                             reason=f"expected {len(header)} columns, found {len(row)}"), err=True)
                rejected += 1
                continue
            rec = dict(zip(header, row, strict=True))
            draft = CaseDraft(
                caller_phone=rec.get("caller_phone", ""), caller_name=rec.get("caller_name", ""),
                description=rec.get("description", ""), address=rec.get("address", ""),
                district=rec.get("district", ""), category=rec.get("category", ""),
                lead_department=rec.get("department", ""), title=rec.get("title", ""),
                co_departments=[d for d in rec.get("co_departments", "").split(";") if d.strip()],
                location_kind=rec.get("location_kind", "") or "other",
                urgency=rec.get("urgency", "") or "normal",
                disposition=rec.get("disposition", "") or "dispatch", notes=rec.get("notes", ""))
            try:
                at = parse_date(rec["created_at"]) if rec.get("created_at", "").strip() else None
                case = file_case(store, draft, ctx.agent, at)
            except DateParseError as exc:
                reason = f"created_at: {exc}"
            except ValidationFailed as exc:
                reason = " ".join(exc.messages(ctx.lang))
            else:
                click.echo(plain(case.case_no))
                filed += 1
                continue
            click.echo(t("cli.rejected_row", ctx.lang, line=line, reason=plain(reason)), err=True)
            rejected += 1
    click.echo(t("cli.batch_summary", ctx.lang, path=path.name, filed=filed, rejected=rejected), err=True)
    if rejected:
        sys.exit(1)
