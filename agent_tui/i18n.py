"""Every user-visible string of the TUI and CLI, in English and Simplified Chinese.

`t(key, lang, **params)`; the language comes from `--lang`, else the locale (zh* → Chinese),
else English. Domain words (statuses, dispositions ...) carry their labels in `models.enums`.
"""

from __future__ import annotations

import locale
import os

LANGS = ("en", "zh")

STRINGS: dict[str, tuple[str, str]] = {
    # app and navigation
    "app.title": ("Hotline", "12345 热线"),
    "app.local_mode": ("local mode", "本地模式"),
    "key.quit": ("Quit", "退出"),
    "key.filter": ("Filter", "筛选"),
    "key.open": ("Open", "打开"),
    "key.back": ("Back", "返回"),
    "key.help": ("Keys", "按键"),
    "key.cases": ("Cases", "工单"),
    "key.new_call": ("New call", "新来电"),
    "key.save": ("Save", "保存"),
    "key.note": ("Add note", "加备注"),
    # case list
    "cases.title": ("Recent cases", "近期工单"),
    "cases.filter_placeholder": ("Filter: number, phone, name, address, text", "筛选：编号、电话、姓名、地址、内容"),
    "cases.count": ("{shown} of {total} cases", "共 {total} 件，显示 {shown} 件"),
    "cases.empty": ("No cases yet. Press F2 for a new call, or run `hotline import FILE.csv`.",
                    "还没有工单。按 F2 受理新来电，或运行 `hotline import 文件.csv` 导入。"),
    "col.case_no": ("Case no.", "工单号"),
    "col.created": ("Created", "受理时间"),
    "col.status": ("Status", "状态"),
    "col.caller": ("Caller", "来电人"),
    "col.address": ("Address", "地址"),
    "col.summary": ("Request", "诉求"),
    "col.department": ("Department", "承办单位"),
    # case view
    "case.title": ("Case {case_no}", "工单 {case_no}"),
    "case.timeline": ("Timeline", "办理经过"),
    "case.note_placeholder": ("Type a note and press Enter", "输入备注后按回车"),
    "case.note_saved": ("Note added", "备注已保存"),
    "case.withheld": ("(number withheld)", "（号码隐藏）"),
    "case.due": ("Due", "办结时限"),
    "case.repeat_calls": ("Repeat calls", "重复来电"),
    # help
    "help.title": ("Keys", "按键说明"),
    # CLI
    "cli.imported": ("{path}: imported {imported}, duplicates skipped {duplicates}, rejected {rejected} (mapping: {mapping})",
                     "{path}：导入 {imported} 件，跳过重复 {duplicates} 件，拒收 {rejected} 件（映射：{mapping}）"),
    "cli.rejected_row": ("  line {line}: {reason}", "  第 {line} 行：{reason}"),
    "cli.more_rejected": ("  ... and {n} more rejected rows", "  …… 另有 {n} 行被拒收"),
    "cli.departments_added": ("  departments added from the data: {n}", "  从数据中新增单位：{n} 个"),
    "cli.importing": ("Importing", "正在导入"),
    "cli.case_saved": ("{case_no}", "{case_no}"),
    "cli.batch_summary": ("{path}: filed {filed}, rejected {rejected}", "{path}：受理 {filed} 件，拒收 {rejected} 件"),
    "cli.demo_seeded": ("Demo data: {n} cases in {path}", "演示数据：{n} 件工单，位于 {path}"),
    "cli.catalogue_loaded": ("Catalogue loaded: {departments} departments, {categories} categories",
                             "目录已加载：{departments} 个单位，{categories} 个类别"),
    "cli.no_tty": ("The TUI needs a terminal; use --help for the headless commands.",
                   "界面需要在终端中运行；无界面命令见 --help。"),
}


def detect_lang(explicit: str | None = None) -> str:
    if explicit in LANGS:
        return explicit
    for var in ("HOTLINE_LANG", "LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(var, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    try:
        loc = locale.getlocale()[0] or ""
    except ValueError:
        loc = ""
    return "zh" if loc.lower().startswith("zh") else "en"


def t(key: str, lang: str = "en", **params: object) -> str:
    en, zh = STRINGS[key]
    text = zh if lang == "zh" else en
    return text.format(**params) if params else text
