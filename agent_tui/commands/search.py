"""`hotline search`: similar prior cases, one query or a batch (docs/cli-contract.md)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from ..display import clip_name, highlighted, json_text, literal, plain
from ..options import Context, common_options
from .progress import count_progress


@click.command("search")
@click.argument("text", required=False, default="")
@click.option("--phone", default="", help="Caller's phone number (same caller counts).")
@click.option("--address", default="", help="Where the problem is (same or nearby address counts).")
@click.option("--limit", type=click.IntRange(min=1), default=10, show_default=True,
              help="At most N results.")
@click.option("--exclude", multiple=True,
              help="Leave out this case (case_id, case number or id); repeatable.")
@click.option("--json", "as_json", is_flag=True,
              help='JSON: {"results": [{"case_id", "score", "why", ...}]}.')
@click.option("--batch", "batch", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="CSV with query_id and any of description, address, caller_phone: one JSON "
                   "line per row, in input order. A query_id that names a stored case leaves "
                   "that case out of its own results.")
@click.option("--rebuild", is_flag=True, help="Rebuild the search index from every case (recovery).")
@common_options
def search_cmd(text: str, phone: str, address: str, limit: int, exclude: tuple[str, ...],
               as_json: bool, batch: Path | None, rebuild: bool, ctx: Context) -> None:
    """Similar prior cases: same caller, same or nearby address, similar text, category,
    recency and open status, each reason listed.

    Chinese needs no spaces (路灯 finds 路灯不亮), Traditional and full-width forms match their
    Simplified and half-width forms, English matches across case and word forms.
    """
    from models.search import Query, SimilarCaseSearch
    from models.search.index import catch_up, is_current
    from models.search.index import rebuild as rebuild_index

    store = ctx.store()
    if rebuild:
        with store.raw() as conn, count_progress("search index") as progress:
            n = rebuild_index(conn, progress)
        click.echo(f"indexed {n} cases", err=True)
        if not (text or batch or phone or address):
            return
    engine = SimilarCaseSearch(store)
    with store.raw() as conn:
        if not is_current(conn):  # imports index as they go: only after a crash, or an upgrade
            with count_progress("search index") as progress:
                catch_up(conn, progress)  # once, with a bar, not inside a query
    if batch is not None:
        out, refused = sys.stdout, 0
        for query_id, query in _batch_queries(batch, limit, ctx.lang):
            if query is None:
                refused += 1
                continue
            hits = engine.search(query, limit=limit)
            out.write(json_text({"query_id": query_id, "results": [_result(h) for h in hits]}) + "\n")
        if refused:
            sys.exit(1)
        return
    if not (text.strip() or phone.strip() or address.strip()):
        raise click.UsageError("give TEXT, --phone or --address (or --batch FILE)")
    hits = engine.search(Query(text=text, address=address, phone=phone,
                               exclude=frozenset(exclude)), limit=limit)
    if as_json:
        click.echo(json_text({"results": [_result(h) for h in hits]}))
        return
    from models.reference.views import department_labels

    _print_table(hits, ctx.lang, department_labels(store, ctx.lang))


def _batch_queries(path: Path, limit: int, lang: str) -> Iterator[tuple[str, Any]]:
    """(query_id, the query) per row; (query_id, None) for a row the form would refuse, said
    on stderr with its line."""
    from models.search import Query

    from ..i18n import t
    from .batch import dict_rows, form_limits, too_long

    limits = form_limits()
    for line, row in dict_rows(path, need="query_id"):
        query_id = row.get("query_id", "").strip()
        reason = too_long(row, limits)
        if reason:
            click.echo(t("cli.rejected_row", lang, line=line, reason=reason), err=True)
            yield query_id, None
            continue
        yield query_id, Query(text=row.get("description", ""), address=row.get("address", ""),
                              phone=row.get("caller_phone", ""),
                              exclude=frozenset({query_id}) if query_id else frozenset())


def _result(hit) -> dict[str, Any]:
    from models.domain.timeutil import to_iso

    return {
        "case_id": hit.case_id, "score": hit.score, "why": hit.why_text("en"),
        "case_no": hit.case_no, "id": hit.id, "status": hit.status,
        "department": hit.department, "category": hit.category,
        "created_at": to_iso(hit.created_at), "age_days": round(hit.age_days, 1),
        "title": hit.title, "address": hit.address, "repeat_count": hit.repeat_count,
        "alike": hit.alike,
        "snippet": {"text": hit.snippet.text, "spans": [list(s) for s in hit.snippet.spans]},
    }


def _print_table(hits, lang: str, departments: dict[str, str]) -> None:
    """A table for a person (department names, not codes; `--json` keeps the codes)."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from models.domain.enums import Status

    zh = lang == "zh"
    # As the intake panel: the cases like the query (`Hit.alike`); the others said as a count.
    weaker = sum(not hit.alike for hit in hits)
    hits = [hit for hit in hits if hit.alike]
    table = Table(box=None, pad_edge=False)
    for head, width in ((("案件编号" if zh else "Case"), 16), (("天" if zh else "Age"), 4),
                        (("状态" if zh else "Status"), 10), (("部门" if zh else "Dept"), 10),
                        (("得分" if zh else "Score"), 5), (("原因 / 摘要" if zh else "Why / snippet"), None)):
        table.add_column(head, no_wrap=width is not None, overflow="ellipsis", max_width=width)
    for hit in hits:
        snippet = highlighted(hit.snippet.text, hit.snippet.spans)  # caller text, never markup
        try:
            status = Status(hit.status).label(lang)
        except ValueError:
            status = hit.status
        table.add_row(literal(hit.case_id), Text(f"{hit.age_days:.0f}"), literal(status),
                      clip_name(departments.get(hit.department, hit.department), 10),
                      Text(f"{hit.score:.0f}"),
                      Text(plain("; ".join(hit.why_text(lang)))) + Text("\n") + snippet)
    console = Console(markup=False, highlight=False)
    if hits:
        console.print(table)
    else:
        console.print("没有相似的案件" if zh else "no similar cases")
    if weaker:
        console.print(f"另有 {weaker} 件只有个别字词相同，未列出（--json 全部列出）" if zh else
                      f"{weaker} weaker matches (a word or two in common) not listed; --json lists them")
