"""`hotline kb`: the knowledge base on the command line: import, search, show, phrases, gaps."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from ..display import json_text
from ..i18n import add_strings, t
from ..options import Context, common_options
from .progress import count_progress

# This command's words, joined to the one catalogue (domain words are `kb.*` in models).
STRINGS: dict[str, tuple[str, str]] = {
    "cli.kb.importing": ("Importing articles", "正在导入知识"),
    "cli.kb.imported": (
        "{path}: {added} added, {updated} updated (new version), {unchanged} unchanged, {rejected} rejected",
        "{path}：新增 {added} 篇，更新 {updated} 篇（新版本），未变 {unchanged} 篇，拒收 {rejected} 个"),
    "cli.kb.more_problems": ("  ... and {n} more", "  …… 另有 {n} 个"),
    "cli.kb.no_hits": ("No article matches.", "没有匹配的知识。"),
    "cli.kb.not_found": ("No article {id}.", "没有知识 {id}。"),
    "cli.kb.no_version": ("Article {id} has no version {version}.", "知识 {id} 没有第 {version} 版。"),
    "cli.kb.col.id": ("Id", "编号"),
    "cli.kb.col.title": ("Title / answer", "标题 / 答复口径"),
    "cli.kb.col.status": ("Status", "状态"),
    "cli.kb.col.score": ("Score", "得分"),
    "cli.kb.col.code": ("Code", "代码"),
    "cli.kb.col.phrase": ("Phrase", "短语"),
    "cli.kb.col.lang": ("Lang", "语言"),
    "cli.kb.col.count": ("Calls", "次数"),
    "cli.kb.col.topic": ("Topic", "主题"),
    "cli.kb.col.category": ("Category", "类别"),
    "cli.kb.col.examples": ("What callers said", "来电人原话"),
    "cli.kb.asked_most": ("Asked most (answered from an article), last {days} days",
                          "近 {days} 天问得最多（已用知识答复）"),
    "cli.kb.gaps": ("No article matched (answered directly or dispatched), last {days} days",
                    "近 {days} 天无匹配知识的来电（直接答复或派单）"),
    "cli.kb.gaps_written": ("{path}: {rows} rows", "{path}：{rows} 行"),
    "cli.kb.none": ("none", "无"),
    "cli.kb.past_version": ("version {version} of {latest} (as given then)",
                            "第 {version} 版，共 {latest} 版（当时的原文）"),
    "cli.kb.open_bound": ("open", "不限"),
    "cli.kb.indexed": ("indexed {n} articles", "已索引 {n} 篇知识"),
    "cli.kb.pushing": ("Sending articles", "正在发送知识"),
    "cli.kb.pushed": (
        "{path} -> {server}: {added} added, {updated} updated (new version), {unchanged} unchanged, "
        "{published} published, {rejected} rejected",
        "{path} -> {server}：新增 {added} 篇，更新 {updated} 篇（新版本），未变 {unchanged} 篇，"
        "发布 {published} 篇，拒收 {rejected} 个"),
    "cli.kb.server_state": ("{id}: version {version}, published version {published}{withdrawn}",
                            "{id}：第 {version} 版，已发布第 {published} 版{withdrawn}"),
    "cli.kb.server_withdrawn": (", withdrawn", "，已撤回"),
    "cli.kb.phrase_state": ("{code} ({plang}): version {version}{withdrawn}",
                            "{code}（{plang}）：第 {version} 版{withdrawn}"),
    "cli.kb.no_server": ("no server: give --server URL (or HOTLINE_SERVER)",
                         "没有服务器：请用 --server URL（或 HOTLINE_SERVER）"),
}
add_strings(STRINGS)


@click.group("kb")
def kb_group() -> None:
    """The knowledge base: articles agents answer from, quick phrases, and what is missing."""


@kb_group.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--tz", default=None, help="Zone of validity dates and times (default: local).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@common_options
def kb_import(path: Path, tz: str | None, as_json: bool, ctx: Context) -> None:
    """Import articles from a folder of Markdown files with YAML front matter, one Markdown
    file, or a CSV (columns id, title, answer, category, tags, department, valid_from,
    valid_until, lang, body; translation_of and withdrawn optional).

    Bad files are reported by name and line and the rest import. Importing again adds nothing:
    an unchanged article keeps its version, a changed one gets the next.
    """
    from models.domain.timeutil import zone
    from models.kb import import_articles

    store = ctx.store()
    with count_progress(t("cli.kb.importing", ctx.lang)) as progress:
        report = import_articles(store, path, tz=zone(tz) if tz else None, by=ctx.agent,
                                 progress=progress)
    if as_json:
        click.echo(json_text(report.as_dict(ctx.lang)))
        return
    click.echo(t("cli.kb.imported", ctx.lang, path=path.name, added=report.added,
                 updated=report.updated, unchanged=report.unchanged, rejected=report.rejected))
    for problem in report.problems[:20]:
        click.echo("  " + _clean(problem.text(ctx.lang)))
    if report.rejected > 20:
        click.echo(t("cli.kb.more_problems", ctx.lang, n=report.rejected - 20))


@kb_group.command("search")
@click.argument("text", required=False, default="")
@click.option("--limit", type=click.IntRange(min=1), default=5, show_default=True,
              help="At most N articles.")
@click.option("--json", "as_json", is_flag=True,
              help="JSON lines, one object per article: id, title, version, valid, score, "
                   "status, matched, lang, answer, why ...")
@click.option("--all-languages", is_flag=True,
              help="List each translation (default: the best one of each article).")
@click.option("--rebuild", is_flag=True, help="Rebuild the articles' search index first.")
@common_options
def kb_search(text: str, limit: int, as_json: bool, all_languages: bool, rebuild: bool,
              ctx: Context) -> None:
    """Articles that answer a caller's question, best first: Chinese or English, in the
    caller's words (暖气 finds 供暖, "couch" finds furniture), typos and pinyin initials of
    titles (jzz) included. An expired or not-yet-valid article says so (valid: false);
    withdrawn ones never show."""
    from models.kb import index
    from models.kb.search import KnowledgeSearch

    store = ctx.store()
    if rebuild:
        with store.raw() as conn, count_progress("kb index") as progress:
            n = index.rebuild(conn, progress)
        click.echo(t("cli.kb.indexed", ctx.lang, n=n), err=True)
        if not text.strip():
            return
    if not text.strip():
        raise click.UsageError("give TEXT (the caller's question)")
    with store.raw() as conn, count_progress("kb index") as progress:
        index.catch_up(conn, progress)
    engine = KnowledgeSearch(store)
    hits = engine.search(text, limit=limit, collapse=not all_languages)
    engine.close()
    if as_json:
        out = sys.stdout
        for hit in hits:
            out.write(json_text(_hit_record(hit)) + "\n")
        return
    _print_hits(hits, ctx.lang)


def _hit_record(hit) -> dict[str, Any]:
    from models.kb.articles import local_date

    return {"id": hit.id, "title": hit.title, "version": hit.version, "valid": hit.valid,
            "score": hit.score, "status": hit.status.value, "matched": hit.matched,
            "lang": hit.lang, "group_id": hit.group_id, "answer": hit.answer,
            "category": hit.category, "department": hit.department, "tags": hit.tags,
            "valid_from": local_date(hit.valid_from), "valid_until": local_date(hit.valid_until),
            "why": hit.why_text("en"),
            "title_spans": [list(s) for s in hit.title_spans],
            "answer_spans": [list(s) for s in hit.answer_spans]}


def _clean(text: str, multiline: bool = False) -> str:
    from models.domain.text import clean_text

    return clean_text(text, multiline=multiline)


def _console():
    from rich.console import Console

    return Console(markup=False, highlight=False)


def _print_hits(hits, lang: str) -> None:
    from rich.table import Table
    from rich.text import Text

    console = _console()
    if not hits:
        console.print(t("cli.kb.no_hits", lang))
        return
    table = Table(box=None, pad_edge=False, show_lines=False)
    table.add_column(t("cli.kb.col.id", lang), no_wrap=True, overflow="ellipsis", max_width=24)
    table.add_column(t("cli.kb.col.status", lang), no_wrap=True)
    table.add_column(t("cli.kb.col.score", lang), no_wrap=True, justify="right")
    table.add_column(t("cli.kb.col.title", lang))
    for hit in hits:
        title = Text(_clean(hit.title))
        for a, b in hit.title_spans:
            title.stylize("bold reverse", a, b)
        answer = Text(_clean(hit.answer))
        for a, b in hit.answer_spans:
            answer.stylize("bold", a, b)
        why = "; ".join(hit.why_text(lang))
        cell = title + Text(f"  v{hit.version}") + Text("\n") + answer
        if why:
            cell += Text("\n" + _clean(why), style="dim")
        table.add_row(Text(_clean(hit.id)), Text(hit.status.label(lang)),
                      Text(f"{hit.score:.0f}"), cell)
    console.print(table)


@kb_group.command("show")
@click.argument("article_id")
@click.option("--version", "version", type=int, default=None,
              help="Show an earlier version, as it read then.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@common_options
def kb_show(article_id: str, version: int | None, as_json: bool, ctx: Context) -> None:
    """One article: its answer, validity, version, owner, tags, body and translations."""
    from models.kb.articles import get_article, local_date, revision, status, translations

    store = ctx.store()
    with store.raw() as conn:
        art = get_article(conn, article_id)
        if art is None:
            raise click.ClickException(t("cli.kb.not_found", ctx.lang, id=article_id))
        others = translations(conn, art)
        past = revision(conn, art.id, version) if version is not None else None
    if version is not None and past is None:
        raise click.ClickException(t("cli.kb.no_version", ctx.lang, id=article_id,
                                     version=version))
    st = status(art)
    record = {"id": art.id, "title": art.title, "answer": art.answer, "body": art.body,
              "version": art.version, "valid": st.value == "current" and not art.withdrawn,
              "status": st.value, "withdrawn": art.withdrawn, "lang": art.lang,
              "group_id": art.group_id, "category": art.category, "tags": art.tags,
              "department": art.department, "valid_from": local_date(art.valid_from),
              "valid_until": local_date(art.valid_until),
              "translations": [{"id": o.id, "lang": o.lang, "title": o.title} for o in others],
              "updated_at": art.updated_at.isoformat(), "source": art.source}
    if past is not None:
        record.update({k: past[k] for k in ("title", "answer", "body", "category", "tags",
                                             "department", "lang")},
                      version=version, latest_version=art.version)
    if as_json:
        click.echo(json_text(record))
        return
    lang = ctx.lang
    lines = [f"{_clean(record['title'])}  [{_clean(art.id)} v{record['version']}]"]
    if past is not None:
        lines.append(t("cli.kb.past_version", lang, version=version, latest=art.version))
    state = t("kb.withdrawn", lang) if art.withdrawn else st.label(lang)
    open_bound = t("cli.kb.open_bound", lang)
    lines.append(f"{t('kb.field.valid', lang)}: {state} ({record['valid_from'] or open_bound} "
                 f"– {record['valid_until'] or open_bound})")
    for key, value in (("kb.field.category", record["category"]),
                       ("kb.field.department", record["department"]),
                       ("kb.field.tags", ", ".join(record["tags"])),
                       ("kb.field.lang", record["lang"])):
        if value:
            lines.append(f"{t(key, lang)}: {_clean(value)}")
    if others:
        lines.append(f"{t('kb.field.translations', lang)}: "
                     + ", ".join(f"{_clean(o.id)} ({o.lang})" for o in others))
    lines += ["", f"{t('kb.field.answer', lang)}:", _clean(record["answer"], True)]
    if record["body"]:
        lines += ["", _clean(record["body"], True)]
    console = _console()
    for line in lines:
        console.print(line, soft_wrap=True)


@kb_group.command("phrases")
@click.option("--json", "as_json", is_flag=True, help="JSON lines: code, lang, label, text, fields.")
@common_options
def kb_phrases(as_json: bool, ctx: Context) -> None:
    """The quick phrases agents insert by code (`;gr` then Tab in a text field), both languages."""
    from models.kb.phrases import Phrasebook

    book = Phrasebook.load(ctx.store())
    phrases = sorted(book.listing(), key=lambda p: (p.code, p.lang != ctx.lang))
    if as_json:
        for p in phrases:
            click.echo(json_text({"code": p.code, "lang": p.lang, "label": p.label_text(),
                                   "text": p.text, "fields": p.fields(), "version": p.version}))
        return
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, pad_edge=False)
    table.add_column(t("cli.kb.col.code", ctx.lang), no_wrap=True)
    table.add_column(t("cli.kb.col.lang", ctx.lang), no_wrap=True)
    table.add_column(t("cli.kb.col.phrase", ctx.lang))
    for p in phrases:
        table.add_row(Text(p.code), Text(p.lang),
                      Text(_clean(p.label_text(ctx.lang)), style="bold") + Text("  ")
                      + Text(_clean(p.text)))
    _console().print(table)


@kb_group.command("gaps")
@click.option("--days", type=click.IntRange(min=1), default=30, show_default=True,
              help="The period: the last N days.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write both views to this CSV (kind = answered_from_article | no_article).")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True,
              help="At most N rows of each view.")
@click.option("--json", "as_json", is_flag=True, help="Print both views as one JSON object.")
@common_options
def kb_gaps(days: int, csv_path: Path | None, limit: int, as_json: bool, ctx: Context) -> None:
    """For the lead: the questions asked most (answered from an article) and the calls answered
    directly or dispatched that no article matched, clustered by category and shared word, so
    the knowledge base grows where calls show it is missing."""
    from models.kb import gaps

    store = ctx.store()
    asked = gaps.asked_most(store, days, limit=limit)
    missing = gaps.missing(store, days, limit=limit)
    if csv_path is not None:
        rows = gaps.write_csv(csv_path, asked, missing)
        click.echo(t("cli.kb.gaps_written", ctx.lang, path=csv_path, rows=rows), err=True)
    if as_json:
        click.echo(json_text({"days": days, "rows": gaps.csv_rows(asked, missing)}))
        return
    if csv_path is not None:
        return
    from rich.table import Table
    from rich.text import Text

    console = _console()
    console.print(t("cli.kb.asked_most", ctx.lang, days=days), style="bold")
    table = Table(box=None, pad_edge=False)
    for key in ("cli.kb.col.count", "cli.kb.col.id", "cli.kb.col.examples"):
        table.add_column(t(key, ctx.lang))
    for a in asked:
        table.add_row(Text(str(a.answers)), Text(_clean(a.article_id)),
                      Text(_clean(a.title)) + Text("\n") + Text(_clean(" | ".join(a.questions)),
                                                                style="dim"))
    console.print(table if asked else t("cli.kb.none", ctx.lang))
    console.print()
    console.print(t("cli.kb.gaps", ctx.lang, days=days), style="bold")
    table = Table(box=None, pad_edge=False)
    for key in ("cli.kb.col.count", "cli.kb.col.category", "cli.kb.col.topic",
                "cli.kb.col.examples"):
        table.add_column(t(key, ctx.lang))
    for g in missing:
        table.add_row(Text(str(g.calls)), Text(_clean(g.category)), Text(_clean(g.topic)),
                      Text(_clean(" | ".join(g.questions))))
    console.print(table if missing else t("cli.kb.none", ctx.lang))


# --- on the central server (a shift lead's or an admin's token) --------------------------------

def _server_api(ctx: Context):
    """The server API for the server and token this terminal uses; exit 2 without a server."""
    from sync.client.engine import resolve_settings
    from sync.client.http import ServerApi

    server, token = resolve_settings(ctx.store(), ctx.server, ctx.token)
    if not server:
        click.echo(t("cli.kb.no_server", ctx.lang), err=True)
        sys.exit(2)
    return server, ServerApi(server, lambda: token)


def _server_call(ctx: Context, fn):
    """Run fn(api); a refusal is one line on stderr and exit 1 (4: the token was refused;
    3: this terminal is too old)."""
    from sync.client.http import AuthFailed, SyncError, TooOld

    server, api = _server_api(ctx)
    try:
        return server, fn(api)
    except AuthFailed as exc:
        click.echo(_clean(f"the server refused the token: {exc}"), err=True)
        sys.exit(4)
    except TooOld as exc:
        click.echo(_clean(f"this terminal is too old for the server: {exc}"), err=True)
        sys.exit(3)
    except SyncError as exc:
        click.echo(_clean(f"{exc.status}: {exc}"), err=True)
        sys.exit(1)
    finally:
        api.close()


@kb_group.command("push")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--draft", is_flag=True, help="Save on the server without publishing.")
@click.option("--tz", default=None, help="Zone of validity dates and times (default: local).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@common_options
def kb_push(path: Path, draft: bool, tz: str | None, as_json: bool, ctx: Context) -> None:
    """Send articles (the same folder of Markdown files or CSV as `kb import`) to the central
    server and publish them there; every terminal gets them at its next sync. Needs a shift
    lead's or an admin's token.

    Bad files are reported by name and line and not sent; the server checks every value again
    and names the field of any article it refuses. Sending again adds nothing: an unchanged
    article keeps its version, a changed one gets the next. A file marked `withdrawn: true` is
    not sent (withdraw with `hotline kb withdraw ID`).
    """
    from models.domain.timeutil import zone
    from sync.client.kb import push_articles

    def push(api):
        with count_progress(t("cli.kb.pushing", ctx.lang)) as progress:
            return push_articles(api, path, tz=zone(tz) if tz else None, publish=not draft,
                                 progress=progress)

    server, report = _server_call(ctx, push)
    if as_json:
        click.echo(json_text(report.as_dict(ctx.lang)))
        return
    click.echo(t("cli.kb.pushed", ctx.lang, path=path.name, server=server, added=report.added,
                 updated=report.updated, unchanged=report.unchanged, published=report.published,
                 rejected=len(report.problems) + len(report.rejected)))
    lines = [p.text(ctx.lang) for p in report.problems] + [
        f"{r.id}: {r.reason}" for r in report.rejected]
    for line in lines[:20]:
        click.echo("  " + _clean(line))
    if len(lines) > 20:
        click.echo(t("cli.kb.more_problems", ctx.lang, n=len(lines) - 20))


def _print_state(state, as_json: bool, lang: str) -> None:
    if as_json:
        click.echo(state.model_dump_json())
        return
    click.echo(_clean(t("cli.kb.server_state", lang, id=state.id, version=state.version,
                        published=state.published_version,
                        withdrawn=t("cli.kb.server_withdrawn", lang) if state.withdrawn else "")))


@kb_group.command("publish")
@click.argument("article_id")
@click.option("--json", "as_json", is_flag=True, help="Print the article's state as JSON.")
@common_options
def kb_publish(article_id: str, as_json: bool, ctx: Context) -> None:
    """Publish an article's latest version on the central server (and bring it back if it was
    withdrawn). Needs a shift lead's or an admin's token."""
    from sync.client import kb

    _, state = _server_call(ctx, lambda api: kb.publish(api, article_id))
    _print_state(state, as_json, ctx.lang)


@kb_group.command("withdraw")
@click.argument("article_id")
@click.option("--json", "as_json", is_flag=True, help="Print the article's state as JSON.")
@common_options
def kb_withdraw(article_id: str, as_json: bool, ctx: Context) -> None:
    """Withdraw an article on the central server: it disappears from every terminal's search
    at its next sync (answers already given from it keep naming it). Needs a shift lead's or
    an admin's token."""
    from sync.client import kb

    _, state = _server_call(ctx, lambda api: kb.withdraw(api, article_id))
    _print_state(state, as_json, ctx.lang)


def _print_phrase(phrase, as_json: bool, lang: str) -> None:
    if as_json:
        click.echo(phrase.model_dump_json())
        return
    click.echo(_clean(t("cli.kb.phrase_state", lang, code=phrase.code, plang=phrase.lang,
                        version=phrase.version,
                        withdrawn=t("cli.kb.server_withdrawn", lang) if phrase.withdrawn else "")))


@kb_group.command("phrase-set")
@click.argument("code")
@click.argument("phrase_lang", metavar="LANG", type=click.Choice(["zh", "en"]))
@click.argument("text")
@click.option("--label", default="", help="What the phrase list shows (default: the code).")
@click.option("--json", "as_json", is_flag=True, help="Print the phrase as JSON.")
@common_options
def kb_phrase_set(code: str, phrase_lang: str, text: str, label: str, as_json: bool,
                  ctx: Context) -> None:
    """Save a quick phrase on the central server (CODE like ;gr, LANG zh or en; {name}
    placeholders are filled in by the agent). Every terminal gets it at its next sync. Needs a
    shift lead's or an admin's token."""
    from sync.client import kb

    _, phrase = _server_call(ctx, lambda api: kb.put_phrase(api, phrase_lang, code, text, label))
    _print_phrase(phrase, as_json, ctx.lang)


@kb_group.command("phrase-delete")
@click.argument("code")
@click.argument("phrase_lang", metavar="LANG", type=click.Choice(["zh", "en"]))
@click.option("--json", "as_json", is_flag=True, help="Print the phrase as JSON.")
@common_options
def kb_phrase_delete(code: str, phrase_lang: str, as_json: bool, ctx: Context) -> None:
    """Delete a quick phrase on the central server; terminals drop it at their next sync."""
    from sync.client import kb

    _, phrase = _server_call(ctx, lambda api: kb.delete_phrase(api, phrase_lang, code))
    _print_phrase(phrase, as_json, ctx.lang)
