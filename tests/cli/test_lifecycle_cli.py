"""`hotline case` and `hotline act` as real processes on a real store: steps queued like a new
case, illegal ones refused with exit status 2 naming the state and the allowed steps."""

from __future__ import annotations

import json

from models.store import open_store
from sync.client.queue import ROLE

from .test_cli import hotline


def test_a_case_filed_without_a_department_is_dispatched_and_closed_from_the_command_line(tmp_path):
    number = hotline("new", "--phone", "13812345678", "--description", "梦都大街路灯不亮",
                     "--address", "梦都大街18号", data_dir=tmp_path).stdout.strip()
    case = json.loads(hotline("case", number, "--json", data_dir=tmp_path).stdout)
    assert (case["status"], case["department"], [e["kind"] for e in case["events"]]) == (
        "open", "", ["created"])
    out = hotline("act", number, "dispatch", "--department", "路灯管理处", "--co", "街道",
                  data_dir=tmp_path).stdout
    assert number in out and "Dispatched" in out and "Street Lighting Office" in out
    shown = hotline("case", number, data_dir=tmp_path, lang="zh").stdout  # for a person: names
    for line in ("已派单  路灯管理处", "来电号码: 138 1234 5678", "地址: 梦都大街18号",
                 "协办单位: 街道办事处", "派单  cli01  路灯管理处"):
        assert line in shown, (line, shown)
    assert "street_light_office" not in shown
    refused = hotline("act", number, "resolve", "--note", "修好了", data_dir=tmp_path, check=False)
    assert refused.returncode == 2
    assert "Role agent" in refused.stderr and "Resolve" in refused.stderr
    store = open_store(tmp_path)
    store.set_meta(ROLE, "lead")  # what the server says of a lead's token
    store.close()
    hotline("act", number, "resolve", "--note", "已更换灯泡", data_dir=tmp_path)
    callback = hotline("act", number, "callback", "--satisfaction", "unsatisfied", "--note",
                       "还是不亮", "--json", data_dir=tmp_path).stdout
    assert json.loads(callback)["status"] == "in_progress"  # not satisfied: reopened
    case = json.loads(hotline("case", number, "--json", data_dir=tmp_path).stdout)
    kinds = [(e["kind"], e.get("satisfaction", e.get("lead_department", ""))) for e in case["events"]]
    assert kinds == [("created", ""), ("dispatched", "street_light_office"), ("resolved", ""),
                     ("callback", "unsatisfied")]
    assert case["events"][1]["co_departments"] == ["street_office"]
    queue = json.loads(hotline("queue", "--json", data_dir=tmp_path).stdout)
    assert queue["pending"] == 4  # the case and its three steps wait for the server


def test_an_illegal_step_exits_2_and_names_the_state_and_the_allowed_steps(tmp_path):
    number = hotline("new", "--description", "路灯不亮", "--address", "梦都大街18号",
                     "--department", "路灯管理处", data_dir=tmp_path).stdout.strip()
    for lang, words in (("en", ("Dispatched", "Callback", "allows")), ("zh", ("已派单", "回访", "可执行"))):
        run = hotline("act", number, "callback", "--satisfaction", "satisfied", data_dir=tmp_path,
                      lang=lang, check=False)
        assert run.returncode == 2
        for word in words:
            assert word in run.stderr, run.stderr
    missing = hotline("act", "NO-SUCH-1", "close", data_dir=tmp_path, check=False)
    assert missing.returncode != 0 and "NO-SUCH-1" in missing.stderr


def test_a_field_correction_from_the_command_line(tmp_path):
    number = hotline("new", "--description", "路灯不亮", "--address", "梦都大街18号",
                     "--department", "路灯管理处", data_dir=tmp_path).stdout.strip()
    hotline("act", number, "edit", "--field", "address=梦都大街28号", "--field", "urgency=urgent",
            data_dir=tmp_path)
    case = json.loads(hotline("case", number, "--json", data_dir=tmp_path).stdout)
    assert (case["address"], case["urgency"]) == ("梦都大街28号", "urgent")
    bad = hotline("act", number, "edit", "--field", "status=closed", data_dir=tmp_path, check=False)
    assert bad.returncode == 2 and "status" in bad.stderr
