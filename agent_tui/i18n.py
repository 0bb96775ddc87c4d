"""Every user-visible string of the TUI and CLI, in English and Simplified Chinese.

`t(key, lang, **params)`; the language comes from `--lang`, else the locale (zh* → Chinese),
else English. Domain words (statuses, dispositions ...) carry their labels in `models.domain.enums`.
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
    "key.palette": ("Commands", "命令"),
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
    "case.note_saving": ("Saving the note…", "正在保存备注…"),
    "case.note_failed": ("The note was not saved ({error}); it is still in the box",
                         "备注未保存（{error}），内容仍在输入框中"),
    "case.withheld": ("(number withheld)", "（号码隐藏）"),
    "case.due": ("Due", "办结时限"),
    "case.repeat_calls": ("Repeat calls", "重复来电"),
    # intake
    "key.drafts": ("Drafts", "草稿"),
    "key.attach": ("Attach call", "并入此单"),
    "intake.title": ("New call", "新来电"),
    "intake.phone": ("Phone", "来电号码"),
    "intake.name": ("Name", "姓名"),
    "intake.description": ("Request", "诉求内容"),
    "intake.address": ("Address", "地址"),
    "intake.location_kind": ("Place", "地点类型"),
    "intake.category": ("Category", "类别"),
    "intake.urgency": ("Urgency", "紧急程度"),
    "intake.disposition": ("Handling", "处理方式"),
    "intake.departments": ("Depts", "承办单位"),
    "intake.notes": ("Notes", "备注"),
    "intake.phone_placeholder": ("number (empty: withheld)", "号码（隐藏则留空）"),
    "intake.description_placeholder": ("what the caller says (Enter = new line, Tab = next field)",
                                       "来电人反映的问题（回车换行，Tab 下一项）"),
    "intake.address_placeholder": ("where: road, compound, building, number", "地点：道路、小区、楼栋、门牌号"),
    "intake.departments_placeholder": ("type a name, alias or pinyin initials (cgj)", "输入单位名称、简称或拼音首字母（cgj）"),
    "intake.category_prompt": ("category", "选择类别"),
    "intake.saved": ("Saved {case_no}", "已保存 {case_no}"),
    "intake.saving": ("Saving…", "正在保存…"),
    "intake.attaching": ("Attaching the call…", "正在并入工单…"),
    "intake.not_saved": ("Not saved ({error}); the call is kept in Drafts (F3)",
                         "未保存（{error}），来电已保存在草稿中（F3）"),
    "intake.ready": ("Ready for a call. F2 new call · Ctrl+S save · F1 keys",
                     "准备接听。F2 新来电 · Ctrl+S 保存 · F1 按键"),
    "intake.restored": ("Restored an unsaved call from {time}", "已恢复 {time} 未保存的来电"),
    "intake.ringing": ("Incoming call from {number}: new call opened; the call you were on is kept in Drafts (F3)",
                       "{number} 来电：已开始新来电，之前的来电保存在草稿中（F3）"),
    "intake.put_aside": ("The call in progress is kept in Drafts (F3)", "进行中的来电已保存在草稿中（F3）"),
    "intake.fix": ("Cannot save yet:", "尚不能保存："),
    "intake.history": ("Earlier calls from this number: {n}", "该号码此前来电：{n} 次"),
    "intake.new_caller": ("First call from this number", "该号码首次来电"),
    "intake.prior": ("Prior cases", "既往工单"),
    "intake.similar": ("{n} similar cases", "相似工单 {n} 件"),
    "intake.suggested": ("suggested: {name}", "建议：{name}"),
    "intake.attached": ("Call attached to {case_no} (repeat call {n}); no new work order",
                        "来电已并入工单 {case_no}（第 {n} 次重复来电），未新建工单"),
    "intake.attach_none": ("Highlight a prior case first (Tab to the list)", "请先选中一件既往工单（Tab 到列表）"),
    "intake.no_prior": ("No prior cases yet: type the phone, the request or the address",
                        "暂无既往工单：输入电话、诉求或地址后显示"),
    "readback.title": ("Read the address back to the caller", "请向来电人复述地址"),
    "readback.confirm": ("Enter: the caller confirms  ·  Esc: correct it", "回车：来电人确认  ·  Esc：返回修改"),
    "drafts.title": ("Calls not yet saved", "未保存的来电"),
    "drafts.empty": ("No drafts.", "没有草稿。"),
    "drafts.col.updated": ("Last typed", "最后编辑"),
    # shift lead review
    "key.lead": ("Lead review", "班长视图"),
    "key.reload": ("Reload", "刷新"),
    "lead.scoreboard": ("Department scoreboard", "单位考评"),
    "lead.hot_spots": ("Hot spots", "热点"),
    "lead.assigned": ("Cases", "派单数"),
    "lead.completion": ("Done", "办结率"),
    "lead.return_rate": ("Returned", "退单率"),
    "lead.overdue": ("Overdue", "超期"),
    "lead.satisfaction": ("Satisf.", "满意率"),
    "lead.cases": ("Cases", "件数"),
    "lead.callers": ("Callers", "来电人"),
    "lead.latest": ("Latest", "最近"),
    # the offline queue
    "key.queue": ("Queue", "同步队列"),
    "key.dismiss": ("Dismiss", "移除"),
    "queue.summary": ("Waiting for {server}: {pending}  ·  rejected: {rejected}  ·  in conflict: {conflicts}",
                      "等待发送到 {server}：{pending} 项  ·  被拒：{rejected}  ·  冲突：{conflicts}"),
    "queue.summary_local": ("No server set: {pending} changes kept here  ·  rejected: {rejected}  ·  in conflict: {conflicts}",
                            "未设置服务器：本机保存 {pending} 项  ·  被拒：{rejected}  ·  冲突：{conflicts}"),
    "queue.what.case.create.v1": ("new case", "新工单"),
    "queue.what.case.note.v1": ("note", "备注"),
    "queue.what.case.event.v1": ("timeline event", "办理记录"),
    "queue.what.case.fields.v1": ("field changes", "字段修改"),
    "queue.last_error": ("Last error: {error}", "最近错误：{error}"),
    "queue.col.seq": ("#", "序号"),
    "queue.col.state": ("State", "状态"),
    "queue.col.why": ("What / why", "内容 / 原因"),
    "queue.state.pending": ("waiting", "待发送"),
    "queue.state.rejected": ("rejected", "被拒"),
    "queue.state.conflict": ("conflict", "冲突"),
    "queue.dismissing": ("Dismissing #{seq}…", "正在移除 #{seq}…"),
    "queue.dismiss_failed": ("#{seq} was not dismissed: {error}", "#{seq} 未移除：{error}"),
    "queue.pending_stays": ("A waiting change goes to the server by itself; only rejected or conflicting ones can be dismissed.",
                            "待发送的更改会自动发送；只能移除被拒或冲突的项。"),
    # quitting
    "quit.pending": ("{n} saved changes are not on the server yet.", "有 {n} 项已保存的更改尚未同步到服务器。"),
    "quit.kept": ("They stay queued on this terminal and are sent the next time it runs.",
                  "它们保留在本机队列中，下次启动时自动发送。"),
    "quit.keys": ("Enter: quit anyway  ·  Esc: stay", "回车：仍然退出  ·  Esc：留下"),
    # help
    "help.title": ("Keys", "按键说明"),
    # CLI
    "cli.imported": ("{path}: imported {imported}, duplicates skipped {duplicates}, rejected {rejected} (mapping: {mapping})",
                     "{path}：导入 {imported} 件，跳过重复 {duplicates} 件，拒收 {rejected} 件（映射：{mapping}）"),
    "cli.imported_server": ("{path} → {server}: {applied} cases added, {refused} already there or refused, {rejected} bad rows",
                            "{path} → {server}：新增 {applied} 件，已存在或被拒 {refused} 件，坏行 {rejected} 行"),
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
    # routing suggestions (`hotline route`, the department picker)
    "route.learning": ("Learning from history", "正在学习历史工单"),
    "route.learned": ("Learned from {cases} cases in {seconds}s", "已学习 {cases} 件工单，用时 {seconds} 秒"),
    "route.need_text": ("Give the request's text, or --batch FILE.csv", "请给出诉求内容，或使用 --batch 文件.csv"),
    "route.batch_no_id": ("{path}: a query_id column is needed", "{path}：需要 query_id 列"),
    "route.categories": ("Categories", "类别"),
    "route.departments": ("Departments", "承办单位"),
    "route.dispositions": ("Not dispatched", "不派单"),
    "route.place": ("Place: {kind}", "地点：{kind}"),
    "route.place_cue": ("Place: {kind} (from “{cue}”)", "地点：{kind}（依据“{cue}”）"),
    "route.suggested": ("Suggested: {disposition}", "建议：{disposition}"),
    "route.role_lead": ("lead", "主办"),
    "route.role_co": ("co", "协办"),
    "route.due": ("Due {due} ({days} working days)", "限 {due} 前办结（{days} 个工作日）"),
    "route.why.category_history": ("{n} past cases filed under it read like this ({similarity}% similar)",
                                   "此类历史工单 {n} 件，内容相近（相似度 {similarity}%）"),
    "route.why.mentions": ("mentions “{phrase}”", "提到“{phrase}”"),
    "route.why.similar_history": ("handled {n} past cases that read like this ({similarity}% similar)",
                                  "办理过 {n} 件内容相近的工单（相似度 {similarity}%）"),
    "route.why.resolved": ("resolved {resolved} of {assigned} {category} cases",
                           "{category}工单办结 {resolved}/{assigned} 件"),
    "route.why.returns": ("returned {returned} of {assigned} {category} cases ({rate}%): check before dispatching",
                          "{category}工单退回 {returned}/{assigned} 件（{rate}%），派单前请确认"),
    "route.why.catalogue": ("catalogue: owns {category}", "目录：负责{category}"),
    "route.why.catalogue_place": ("catalogue: owns {category} on {place}", "目录：负责{place}的{category}"),
    "route.why.rule": ("rule: {rule}", "规则：{rule}"),
    "route.why.co": ("co-handles with {lead}", "协办，主办为{lead}"),
    "route.why.disposition_history": ("{n} past cases like this were handled this way",
                                      "历史上 {n} 件类似工单如此处理"),
    # department picker
    "picker.placeholder": ("Department: Chinese, English, alias or pinyin initials (cgj)",
                           "承办单位：中文、英文、简称或拼音首字母（如 cgj）"),
    "picker.lead": ("Lead", "主办"),
    "picker.co": ("Co-handling", "协办"),
    "picker.none": ("none", "未选"),
    "picker.suggested": ("suggested", "推荐"),
    "picker.no_match": ("No department matches “{query}”", "没有匹配“{query}”的单位"),
    "picker.key_lead": ("Lead", "设为主办"),
    "picker.key_co": ("Co-handling", "设为协办"),
    "picker.key_clear": ("Clear", "清除"),
    # sync status line and queue
    "sync.local": ("local mode", "本地模式"),
    "sync.connecting": ("connecting…", "连接中…"),
    "sync.online": ("online", "在线"),
    "sync.sending": ("sending", "发送中"),
    "sync.offline": ("offline", "离线"),
    "sync.auth": ("sign-in refused", "登录被拒"),
    "sync.too_old": ("upgrade hotline", "请升级程序"),
    "sync.error": ("sync error", "同步出错"),
    "sync.queued": ("{n} queued, oldest {age}", "待发 {n} 件，最早 {age}"),
    "sync.conflicts": ("{n} conflicts", "冲突 {n} 件"),
    "sync.rejected": ("{n} rejected", "被拒 {n} 件"),
    "sync.retry_in": ("retry in {seconds}s", "{seconds} 秒后重试"),
    "sync.quit_warning": ("{n} changes are not on the server yet. They are kept on this terminal and "
                          "will be sent next time. Quit anyway?",
                          "还有 {n} 项修改尚未送达服务器，已保存在本机，下次启动时自动发送。仍要退出吗？"),
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
