"""`hotline route`: suggested categories, departments and dispositions, with their reasons."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import click

from ..display import json_text, plain
from ..i18n import t
from ..options import Context, common_options
from .progress import count_progress

LOCATION_KINDS = ("public_road", "residential_compound", "business_premises", "public_facility",
                  "other")


@click.command("route")
@click.argument("text", required=False, default="")
@click.option("--address", default="", help="Where the problem is (helps tell a road from a compound).")
@click.option("--location-kind", type=click.Choice(LOCATION_KINDS), default=None,
              help="The kind of place, when known (default: read from the address and text).")
@click.option("--district", default="", help="The district, to prefer departments serving it.")
@click.option("--limit", type=int, default=5, show_default=True, help="Suggestions of each kind.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (one object per query).")
@click.option("--batch", "batch", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="A CSV with query_id and description (address, location_kind, "
                                 "district optional): one JSON object per row, in input order.")
@click.option("--rebuild", is_flag=True, help="Re-learn from the whole history first.")
@common_options
def route_cmd(text: str, address: str, location_kind: str | None, district: str, limit: int,
              as_json: bool, batch: Path | None, rebuild: bool, ctx: Context) -> None:
    """Suggest the category and the department(s) for a request, with reasons.

    Learns first from whatever history the store holds that it has not seen (imports and saved
    cases); warns about departments that often return this kind of case; suggests not
    dispatching (owners' self-governance, courts, market) where the rules say so.
    """
    from models.cases.routing import suggest
    from models.reference.catalogue import ensure_catalogue
    from models.routing import Router
    from models.search.engine import SimilarCaseSearch

    from ..route_text import suggestions_record

    if not text.strip() and batch is None and not rebuild:
        raise click.UsageError(t("route.need_text", ctx.lang))
    store = ctx.store()
    with store.writer() as session:
        ensure_catalogue(session)
    router = Router.for_store(store)
    search = SimilarCaseSearch(store)
    try:
        report = learn_history(router, ctx.lang, rebuild=rebuild)
        if rebuild and not as_json:
            click.echo(t("route.learned", ctx.lang, cases=report.cases,
                         seconds=f"{report.seconds:.1f}"), err=True)
        if batch is not None:
            _batch(router, search, batch, limit, ctx.lang)
            return
        if not text.strip():
            return
        result = suggest(router, search, text, address=address, location_kind=location_kind,
                         district=district, lang=ctx.lang, limit=limit)
        if as_json:
            click.echo(json_text(suggestions_record(result, ctx.lang)))
        else:
            _print(result, ctx.lang)
    finally:
        search.close()
        router.close()


def _batch(router, search, path: Path, limit: int, lang: str) -> None:
    from models.cases.routing import suggest

    from ..route_text import suggestions_record
    from .batch import dict_rows, form_limits, too_long

    out, limits, refused = sys.stdout, form_limits(), 0
    with open(path, encoding="utf-8-sig", newline="") as f:
        header = next(csv.reader(f), [])
    if "query_id" not in header:
        raise click.ClickException(t("route.batch_no_id", lang, path=path.name))
    for line, row in dict_rows(path):
        reason = too_long(row, limits)
        if reason:
            click.echo(t("cli.rejected_row", lang, line=line, reason=reason), err=True)
            refused += 1
            continue
        text = " ".join(p for p in (row.get("title") or "", row.get("description") or "") if p)
        kind = (row.get("location_kind") or "").strip() or None
        result = suggest(router, search, text, address=row.get("address") or "",
                         location_kind=kind if kind in LOCATION_KINDS else None,
                         district=row.get("district") or "", lang=lang, limit=limit)
        record = {"query_id": row["query_id"], **suggestions_record(result, lang)}
        out.write(json_text(record) + "\n")
    if refused:
        sys.exit(1)


def _print(result, lang: str) -> None:
    from rich.console import Console
    from rich.text import Text

    from models.domain.enums import Disposition, LocationKind

    console = Console(markup=False, highlight=False)
    kind = LocationKind(result.location_kind).label(lang)
    console.print(Text(t("route.place_cue", lang, kind=kind, cue=plain(result.location_cue))
                       if result.location_cue else t("route.place", lang, kind=kind)))
    console.print(Text(t("route.suggested", lang,
                         disposition=Disposition(result.disposition).label(lang)), style="bold"))
    console.print(Text(t("route.categories", lang), style="bold underline"))
    for c in result.categories:
        line = Text(f"  {c.score:6.3f}  {plain(c.name)}")
        for r in c.reasons:
            line.append(f"  · {plain(r.text(lang))}", style="dim")
        console.print(line)
    console.print(Text(t("route.departments", lang), style="bold underline"))
    for d in result.departments:
        role = t("route.role_lead" if d.role == "lead" else "route.role_co", lang)
        console.print(Text(f"  {d.score:6.3f}  {plain(d.name)} [{role}]", style="bold red" if d.warning else ""))
        for r in d.reasons:
            console.print(Text(f"          {'⚠ ' if r.warning else '· '}{plain(r.text(lang))}",
                               style="red" if r.warning else "dim"))
    if result.dispositions:
        console.print(Text(t("route.dispositions", lang), style="bold underline"))
        for x in result.dispositions:
            console.print(Text(f"  {x.score:6.3f}  {Disposition(x.disposition).label(lang)}"))
            for r in x.reasons:
                console.print(Text(f"          · {plain(r.text(lang))}", style="dim"))


def learn_history(router, lang: str, rebuild: bool = False):
    """The router learns what the store holds that it has not seen yet, with a bar (`hotline
    route`; `hotline import` has its own, `data._learn`, which may follow a learning process)."""
    with count_progress(t("route.learning", lang)) as progress:
        return router.refresh(progress, rebuild=rebuild)
