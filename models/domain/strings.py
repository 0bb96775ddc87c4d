"""The domain's words in English and Simplified Chinese: one table, read through
`models.domain.i18n.t`. Keys by prefix:

- `enum.<Vocabulary>.<value>`: the label of a closed vocabulary's value (`models.domain.enums`);
- `field.<name>`: a case field's name as a person reads it;
- `problem.<code>`: a validation problem, saying what to fix (`models.domain.messages.Problem`);
- `search.why.<code>`, `route.why.<code>`: the engines' reasons (`models.domain.i18n.Reason`);
- `lead.queue.<key>`: the shift lead's work queues;
- `kb.<...>`: the knowledge base's words: article status, import problems, why an article is
  suggested, quick phrases' names, the gap review.

The interface's own words are `agent_tui.i18n`; both go into the one catalogue.
"""

from __future__ import annotations

DOMAIN_STRINGS: dict[str, tuple[str, str]] = {  # key -> (en, zh)
    # LocationKind
    "enum.LocationKind.public_road": ("Public road", "市政道路"),
    "enum.LocationKind.residential_compound": ("Residential compound", "居民小区"),
    "enum.LocationKind.business_premises": ("Business premises", "经营场所"),
    "enum.LocationKind.public_facility": ("Public facility", "公共设施"),
    "enum.LocationKind.other": ("Other", "其他"),
    # Urgency
    "enum.Urgency.normal": ("Normal", "一般"),
    "enum.Urgency.urgent": ("Urgent", "紧急"),
    "enum.Urgency.critical": ("Critical", "特急"),
    # Disposition
    "enum.Disposition.dispatch": ("Dispatch", "派单"),
    "enum.Disposition.answered": ("Answered directly", "直接答复"),
    "enum.Disposition.redirect_court": ("Redirected to courts", "引导司法途径"),
    "enum.Disposition.redirect_market": ("Redirected to market regulator", "引导市场途径"),
    "enum.Disposition.redirect_owners": ("Redirected to owners' self-governance", "引导业主自治"),
    # Status
    "enum.Status.open": ("Open", "待派单"),
    "enum.Status.dispatched": ("Dispatched", "已派单"),
    "enum.Status.in_progress": ("In progress", "办理中"),
    "enum.Status.returned": ("Returned", "已退单"),
    "enum.Status.resolved": ("Resolved", "已办结"),
    "enum.Status.closed": ("Closed", "已结案"),
    # EventKind
    "enum.EventKind.created": ("Created", "受理"),
    "enum.EventKind.repeat_call": ("Repeat call", "重复来电"),
    "enum.EventKind.note": ("Note", "备注"),
    "enum.EventKind.dispatched": ("Dispatched", "派单"),
    "enum.EventKind.returned": ("Returned", "退单"),
    "enum.EventKind.redispatched": ("Re-dispatched", "改派"),
    "enum.EventKind.resolved": ("Resolved", "办结"),
    "enum.EventKind.callback": ("Callback", "回访"),
    "enum.EventKind.supervised": ("Supervised", "督办"),
    "enum.EventKind.reopened": ("Reopened", "重新办理"),
    "enum.EventKind.closed": ("Closed", "结案"),
    "enum.EventKind.imported": ("Imported", "导入"),
    "enum.EventKind.accepted": ("Accepted", "签收"),
    "enum.EventKind.sent_back": ("Sent back to the department", "退单审核：退回原单位"),
    "enum.EventKind.progress": ("Progress", "办理进展"),
    "enum.EventKind.extension_requested": ("Extension requested", "申请延期"),
    "enum.EventKind.extension_approved": ("Extension approved", "延期已批准"),
    "enum.EventKind.extension_refused": ("Extension refused", "延期未批准"),
    "enum.EventKind.reminded": ("Reminder: past the deadline", "催办：已超期"),
    # Action (a lifecycle step)
    "enum.Action.dispatch": ("Dispatch", "派单"),
    "enum.Action.accept": ("Accept", "签收"),
    "enum.Action.return": ("Return", "退单"),
    "enum.Action.send_back": ("Send back", "退回原单位"),
    "enum.Action.progress": ("Report progress", "反馈进展"),
    "enum.Action.resolve": ("Resolve", "办结"),
    "enum.Action.callback": ("Callback", "回访"),
    "enum.Action.reopen": ("Reopen", "重新办理"),
    "enum.Action.close": ("Close", "结案"),
    "enum.Action.supervise": ("Supervise", "督办"),
    "enum.Action.extend": ("Request an extension", "申请延期"),
    "enum.Action.approve_extension": ("Approve the extension", "批准延期"),
    "enum.Action.refuse_extension": ("Refuse the extension", "驳回延期"),
    "enum.Action.remind": ("Remind", "催办"),
    "enum.Action.note": ("Note", "备注"),
    # ReturnReason
    "enum.ReturnReason.not_our_jurisdiction": ("Not our jurisdiction", "非本单位职责"),
    "enum.ReturnReason.overlapping_duties": ("Overlapping duties", "职责交叉"),
    "enum.ReturnReason.insufficient_information": ("Insufficient information", "信息不全"),
    "enum.ReturnReason.duplicate": ("Duplicate", "重复工单"),
    "enum.ReturnReason.other": ("Other", "其他"),
    # Satisfaction (a callback's result)
    "enum.Satisfaction.satisfied": ("Satisfied", "满意"),
    "enum.Satisfaction.basically_satisfied": ("Basically satisfied", "基本满意"),
    "enum.Satisfaction.unsatisfied": ("Not satisfied", "不满意"),
    # case fields
    "field.caller_phone": ("Phone", "来电号码"),
    "field.caller_name": ("Name", "姓名"),
    "field.description": ("Description", "诉求内容"),
    "field.address": ("Address", "地址"),
    "field.location_kind": ("Location kind", "地点类型"),
    "field.category": ("Category", "类别"),
    "field.urgency": ("Urgency", "紧急程度"),
    "field.disposition": ("Disposition", "处理方式"),
    "field.lead_department": ("Department", "承办单位"),
    "field.co_departments": ("Co-handling", "协办单位"),
    "field.notes": ("Notes", "备注"),
    # validation problems
    "problem.description.required": (
        "Describe the request: the description is empty.",
        "请填写诉求内容：描述不能为空。"),
    "problem.description.too_long": (
        "The description is {length} characters; shorten it to at most {limit}.",
        "描述有 {length} 个字符，请缩短到 {limit} 个以内。"),
    "problem.phone.letters": (
        "The phone number contains letters; type digits only (or leave it empty if withheld).",
        "电话号码含有字母，请只输入数字（号码隐藏时留空）。"),
    "problem.phone.unparseable": (
        "“{value}” is not a phone number; type the caller's number, e.g. 13812345678 or +1 212 555 0100.",
        "“{value}”不是电话号码，请输入来电号码，例如 13812345678 或 +1 212 555 0100。"),
    "problem.phone.region": (
        "“{value}” has no country code, and this terminal's region is not a known one: set "
        "`region` in settings.toml (CN, US, GB …), or type the number with + and its country code.",
        "“{value}”没有国家代码，而本终端设置的地区无法识别：请在 settings.toml 中设置 region"
        "（CN、US、GB …），或输入带 + 和国家代码的号码。"),
    "problem.phone.impossible": (
        "“{value}” has the wrong number of digits for a phone number; check it with the caller.",
        "“{value}”位数不对，请与来电人核对号码。"),
    "problem.address.required": (
        "Give the address: a case sent to a department needs the place to go.",
        "请填写地址：派单的工单必须写明地点。"),
    "problem.department.required": (
        "Choose the lead department: a dispatched case needs one.",
        "请选择主办单位：派单的工单必须有主办单位。"),
    "problem.department.unknown": (
        "No department “{value}”; pick one from the list (type a name, alias or pinyin initials).",
        "没有“{value}”这个单位，请从列表中选择（可输入名称、简称或拼音首字母）。"),
    "problem.department.duplicate": (
        "“{value}” is already the lead department; remove it from the co-handling list.",
        "“{value}”已是主办单位，请从协办单位中去掉。"),
    "problem.category.unknown": (
        "No category “{value}”; pick one from the list.",
        "没有“{value}”这个类别，请从列表中选择。"),
    "problem.location_kind.unknown": (
        "“{value}” is not a location kind; choose public road, residential compound, business premises, public facility or other.",
        "“{value}”不是地点类型，请选择市政道路、居民小区、经营场所、公共设施或其他。"),
    "problem.urgency.unknown": (
        "“{value}” is not an urgency; choose normal, urgent or critical.",
        "“{value}”不是紧急程度，请选择一般、紧急或特急。"),
    "problem.disposition.unknown": (
        "“{value}” is not a disposition; choose dispatch, answered directly, or a redirect.",
        "“{value}”不是处理方式，请选择派单、直接答复或引导。"),
    "problem.note.required": (
        "The note is empty; type what happened before saving it.",
        "备注为空，请先写下情况再保存。"),
    "problem.name.too_long": (
        "The caller's name is {length} characters; shorten it to at most {limit}.",
        "来电人姓名有 {length} 个字符，请缩短到 {limit} 个以内。"),
    "problem.status.unknown": (
        "“{value}” is not a case state; use open, dispatched, in_progress, returned, resolved or closed.",
        "“{value}”不是工单状态，请使用 open、dispatched、in_progress、returned、resolved 或 closed。"),
    "problem.field.not_editable": (
        "{field} cannot be edited; status moves by lifecycle steps, identity and times are the system's.",
        "{field} 不能修改：状态随办理环节变化，编号和时间由系统生成。"),
    "problem.field.not_text": ("{field} must be text.", "{field} 必须是文字。"),
    "problem.field.required": ("{field} is required.", "{field} 为必填项。"),
    "problem.field.not_number": ("{field} must be a number or empty.", "{field} 必须是数字或留空。"),
    "problem.field.not_list": ("{field} must be a list of department codes.", "{field} 必须是单位代码列表。"),
    "problem.step.not_allowed": (
        "A case that is {state} cannot take “{action}”; it allows: {allowed}.",
        "工单当前为“{state}”，不能“{action}”；可执行：{allowed}。"),
    "problem.step.not_allowed_role": (
        "Role {role} may not take “{action}” on a case that is {state}; you may: {allowed}.",
        "角色 {role} 不能对“{state}”的工单“{action}”；可执行：{allowed}。"),
    "problem.step.note_required": (
        "“{action}” needs a note: say what was done or why.",
        "“{action}”需要填写说明：写明办理情况或原因。"),
    "problem.step.resolution_required": (
        "Resolving needs the resolution: say what was done.",
        "办结需要填写办理结果。"),
    "problem.step.reason_required": (
        "A return needs a reason: not_our_jurisdiction, overlapping_duties, insufficient_information, duplicate or other (got “{value}”).",
        "退单需要选择原因：非本单位职责、职责交叉、信息不全、重复工单或其他（收到“{value}”）。"),
    "problem.step.satisfaction_required": (
        "A callback needs the caller's answer: satisfied, basically_satisfied or unsatisfied (got “{value}”).",
        "回访需要记录来电人评价：满意、基本满意或不满意（收到“{value}”）。"),
    "problem.step.due_required": ("An extension needs the new deadline (--due).", "申请延期需要填写新的办结时限（--due）。"),
    "problem.step.due_not_later": (
        "The new deadline must be later than the current one ({due}).",
        "新的办结时限必须晚于当前时限（{due}）。"),
    "problem.step.no_extension": ("No extension request is waiting on this case.", "该工单没有待审批的延期申请。"),
    "problem.note.too_long": (
        "The note is {length} characters; shorten it to at most {limit}.",
        "说明有 {length} 个字符，请缩短到 {limit} 个以内。"),
    # what arrives over the wire: lengths, identifiers, times, vocabularies, event data
    "problem.text.too_long": (
        "{field} is {length} characters; shorten it to at most {limit}.",
        "{field} 有 {length} 个字符，请缩短到 {limit} 个以内。"),
    "problem.id.required": (
        "{field} is missing: it needs an identifier.",
        "缺少 {field}：必须有标识。"),
    "problem.id.too_long": (
        "{field} is {length} characters; an identifier has at most {limit}.",
        "{field} 有 {length} 个字符，标识最多 {limit} 个。"),
    "problem.id.not_printable": (
        "{field} contains spaces or control characters; an identifier is printable characters only.",
        "{field} 含有空格或控制字符，标识只能由可打印字符组成。"),
    "problem.source.unknown": (
        "“{value}” is not a case source; use local or import:<mapping>.",
        "“{value}”不是工单来源，请使用 local 或 import:<映射名>。"),
    "problem.time.naive": (
        "{field} has no time zone; give one (e.g. 2026-03-10T09:15:00+08:00).",
        "{field} 没有时区，请注明（例如 2026-03-10T09:15:00+08:00）。"),
    "problem.time.out_of_range": (
        "{field} {value} is outside {earliest} to {latest}; check the clock that made it.",
        "{field} {value} 不在 {earliest} 至 {latest} 之间，请检查产生它的时钟。"),
    "problem.satisfaction.unknown": (
        "“{value}” is not a callback answer; use satisfied, basically satisfied or unsatisfied.",
        "“{value}”不是回访结果，请使用满意、基本满意或不满意。"),
    "problem.coordinate.out_of_range": (
        "{field} {value} is not on the globe (at most ±{limit}).",
        "{field} {value} 超出范围（最多 ±{limit}）。"),
    "problem.departments.too_many": (
        "{count} co-handling departments; choose at most {limit}.",
        "协办单位有 {count} 个，最多选择 {limit} 个。"),
    "problem.phone.not_e164": (
        "“{value}” is not a stored phone number (E.164, e.g. +8613812345678).",
        "“{value}”不是规范的电话号码（E.164，例如 +8613812345678）。"),
    "problem.event.unknown": (
        "“{value}” is not a kind of timeline event.",
        "“{value}”不是办理记录的类型。"),
    "problem.data.not_object": (
        "An event's data must be an object of named values.",
        "办理记录的附加数据必须是键值对象。"),
    "problem.data.too_many": (
        "An event's data has {count} values; at most {limit}.",
        "办理记录的附加数据有 {count} 项，最多 {limit} 项。"),
    "problem.data.bad_key": (
        "“{value}” is not a data name (lower-case letters, digits and _).",
        "“{value}”不是有效的数据名（小写字母、数字和 _）。"),
    "problem.data.bad_value": (
        "{field} must be text, a number, true/false or a short list of codes.",
        "{field} 必须是文字、数字、真/假或简短的代码列表。"),
    # who may change what (the server's rule: sync/server/rules.py)
    "problem.rule.not_own_case": (
        "Case {case_no} was filed by {owner}; only its agent or a shift lead may edit it or "
        "move it through its steps ({change}).",
        "工单 {case_no} 由 {owner} 受理，只有受理人或值班长可以修改或办理（{change}）。"),
    "problem.rule.lead_only": (
        "Only a shift lead may record “{kind}”.",
        "只有值班长可以记录“{kind}”。"),
    "problem.rule.not_an_event": (
        "A “{kind}” event comes only with the case itself, never added later.",
        "“{kind}”记录只能随工单一起产生，不能事后添加。"),
    "problem.rule.import_admin_only": (
        "Only an admin may send imported history (source {source}); import with an admin's token.",
        "只有管理员可以导入历史工单（来源 {source}），请使用管理员的令牌导入。"),
    # similar-case search: why a prior case is shown
    "search.why.same_caller": ("same caller", "同一来电人"),
    "search.why.same_address": ("same address", "同一地址"),
    "search.why.nearby_address": ("nearby address", "附近地址"),
    "search.why.same_street": ("same street", "同一道路"),
    "search.why.similar_text": ("similar text", "内容相似"),
    "search.why.similar_words": ("similar text: {words}", "内容相似: {words}"),
    "search.why.same_category": ("same category", "同一类别"),
    "search.why.recent": ("recent", "近期"),
    "search.why.open": ("open", "未办结"),
    # routing: why a category, department or disposition is suggested
    "route.why.category_history": (
        "{n} past cases filed under it read like this ({similarity}% similar)",
        "此类历史工单 {n} 件，内容相近（相似度 {similarity}%）"),
    "route.why.mentions": ("mentions “{phrase}”", "提到“{phrase}”"),
    "route.why.names_body": ("names “{phrase}”", "点名“{phrase}”"),
    "route.why.similar_history": (
        "handled {n} past cases that read like this ({similarity}% similar)",
        "办理过 {n} 件内容相近的工单（相似度 {similarity}%）"),
    "route.why.resolved": (
        "resolved {resolved} of {assigned} {category} cases",
        "{category}工单办结 {resolved}/{assigned} 件"),
    "route.why.returns": (
        "returned {returned} of {assigned} {category} cases ({rate}%): check before dispatching",
        "{category}工单退回 {returned}/{assigned} 件（{rate}%），派单前请确认"),
    "route.why.catalogue": ("catalogue: owns {category}", "目录：负责{category}"),
    "route.why.catalogue_place": (
        "catalogue: owns {category} on {place}",
        "目录：负责{place}的{category}"),
    "route.why.rule": ("rule: {rule}", "规则：{rule}"),
    "route.why.co": ("co-handles with {lead}", "协办，主办为{lead}"),
    "route.why.neighbours": (
        "{n} of the {k} most similar past cases",
        "最相近的 {k} 件历史工单中有 {n} 件"),
    "route.why.exact": (
        "{n} past cases said exactly this",
        "{n} 件历史工单内容与此完全相同"),
    "route.why.disposition_history": (
        "{n} past cases like this were handled this way",
        "历史上 {n} 件类似工单如此处理"),
    # the shift lead's work queues
    "lead.queue.unsynced": ("Not on the server", "未同步"),
    "lead.queue.awaiting_dispatch": ("Awaiting dispatch", "待派单"),
    "lead.queue.returned": ("Returned", "已退单"),
    "lead.queue.overdue": ("Overdue", "已超期"),
    "lead.queue.due_soon": ("Due within a day", "即将到期"),
    "lead.queue.callbacks_due": ("Callbacks due", "待回访"),
    "lead.queue.repeat_calls": ("Repeat calls", "重复来电"),
    "lead.queue.supervised": ("Supervised", "督办中"),
    "lead.queue.extension_requests": ("Extension requests", "延期申请"),
    "lead.queue.not_satisfied": ("Not satisfied", "不满意"),
    "lead.queue.sync_problems": ("Sync problems", "同步异常"),
    "lead.callback_assigned": ("Callback assigned to {agent}", "回访分配给 {agent}"),
    # short status labels for narrow columns (whole words: never cut mid-word)
    "status.short.open": ("Open", "待派"),
    "status.short.dispatched": ("Sent", "已派"),
    "status.short.in_progress": ("Doing", "办理"),
    "status.short.returned": ("Back", "退单"),
    "status.short.resolved": ("Done", "办结"),
    "status.short.closed": ("Closed", "结案"),
    # the knowledge base: whether an article is in force
    "kb.status.current": ("current", "现行有效"),
    "kb.status.expired": ("expired", "已失效"),
    "kb.status.not_yet_valid": ("not yet valid", "尚未生效"),
    "kb.withdrawn": ("withdrawn", "已撤回"),
    "kb.field.title": ("Title", "标题"),
    "kb.field.answer": ("Answer", "答复口径"),
    "kb.field.category": ("Category", "类别"),
    "kb.field.tags": ("Tags", "标签"),
    "kb.field.department": ("Department", "责任单位"),
    "kb.field.valid": ("Valid", "有效期"),
    "kb.field.version": ("Version", "版本"),
    "kb.field.lang": ("Language", "语言"),
    "kb.field.translations": ("Translations", "其他语言"),
    # knowledge import: what is wrong with a file or row
    "kb.problem.unreadable": ("cannot read the file: {error}", "无法读取文件：{error}"),
    "kb.problem.no_front_matter": (
        "no front matter: the file must start with a line '---'",
        "缺少文件头：文件须以一行 '---' 开始"),
    "kb.problem.unclosed_front_matter": (
        "the front matter is not closed with a line '---'",
        "文件头没有以一行 '---' 结束"),
    "kb.problem.bad_front_matter": ("bad front matter: {error}", "文件头格式错误：{error}"),
    "kb.problem.missing": ("{field} is missing", "缺少 {field}"),
    "kb.problem.bad_date": (
        "{field}: {value!r} is not a date (write 2026-03-01)",
        "{field}：{value!r} 不是日期（应写作 2026-03-01）"),
    "kb.problem.bad_range": (
        "valid_until {until} is before valid_from {start}",
        "valid_until {until} 早于 valid_from {start}"),
    "kb.problem.bad_lang": ("lang: {value!r} is not zh or en", "lang：{value!r} 不是 zh 或 en"),
    "kb.problem.bad_tags": ("tags must be a list", "tags 必须是列表"),
    "kb.problem.duplicate_id": ("id {id!r} is also used by {other}", "id {id!r} 与 {other} 重复"),
    "kb.problem.no_columns": (
        "a CSV of articles needs the columns id, title and answer (has: {columns})",
        "知识库 CSV 须有 id、title、answer 列（现有：{columns}）"),
    # knowledge search: why an article is suggested
    "kb.why.synonym": ("“{said}” means “{means}”", "“{said}”即“{means}”"),
    "kb.why.sounds_like": ("sounds like “{means}”", "读音同“{means}”"),
    "kb.why.spelling": ("read “{said}” as “{means}”", "“{said}”按“{means}”理解"),
    "kb.why.initials": ("pinyin initials “{initials}”", "拼音首字母“{initials}”"),
    "kb.why.asked": ("answered {n} similar questions before", "此前答复过 {n} 个类似问题"),
    # quick phrases
    "kb.phrase.greeting": ("Greeting", "问候"),
    "kb.phrase.address": ("Address read-back", "复述地址"),
    "kb.phrase.passed_on": ("Passed on", "已转交"),
    "kb.phrase.answered": ("Answered", "已答复"),
    "kb.phrase.wait": ("Please hold", "请稍候"),
    "kb.phrase.closing": ("Closing", "结束语"),
    "kb.phrase.callback": ("Callback", "回访"),
    "kb.phrase.redirect_court": ("Courts", "司法途径"),
    # the lead's gap review: the labels of the `kind` codes (models/kb/gaps.py)
    "kb.gap.answered_from": ("answered from an article", "已用知识答复"),
    "kb.gap.no_article": ("no article matched", "无匹配知识"),
    # the created event of a case answered from an article (its timeline)
    "kb.answered_from_note": ("answered from article {id} v{version}: {title}",
                              "依据知识 {id} 第 {version} 版答复：{title}"),
}
