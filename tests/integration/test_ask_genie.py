"""`ask_genie` with the real databricks-sdk against the fake workspace's Genie API:
completed with SQL and rows, a follow-up, failed, cancelled, an expired result, and a
message that never completes before the deadline."""

from __future__ import annotations

import json
import os
import time

import pandas as pd
import pytest

from tests.fakes.workspace import FakeWorkspace, GenieReply
from tests.helpers import run_windmill
from workloads.ask.genie import GenieError, ask_genie, find_space
from workloads.names import GENIE_SPACE_TITLE

pytestmark = pytest.mark.integration
TOKEN = "dapi0123456789abcdef0123456789abcdef"
ALERTS = pd.DataFrame(
    {"turbine_id": ["TURBINE_00042", "TURBINE_00007"], "alert_level": ["CRITICAL", "CRITICAL"]}
)
SQL = "SELECT turbine_id, alert_level FROM gold_maintenance_alerts WHERE alert_level = 'CRITICAL'"
FAST = {"deadline_s": 5, "poll_s": 0.01}


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    for key in list(os.environ):
        if key.startswith("DATABRICKS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.databrickscfg
    ws = FakeWorkspace()
    ws.add_genie_space("someone else's space")
    ws.space_id = ws.add_genie_space(GENIE_SPACE_TITLE)
    ws.start()
    yield ws
    ws.stop()


@pytest.fixture
def client(workspace):
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.config import Config

    config = Config(
        host=workspace.url, token=TOKEN, http_timeout_seconds=5, retry_timeout_seconds=5
    )
    return WorkspaceClient(config=config)


def critical_reply(**overrides) -> GenieReply:
    fields = {"text": "Two turbines have open CRITICAL alerts.", "sql": SQL, "frame": ALERTS}
    return GenieReply(**{**fields, **overrides})


def test_the_space_is_found_by_the_title_deploy_gives_it(workspace, client):
    assert find_space(client) == workspace.space_id


def test_a_missing_space_says_to_deploy_or_pass_its_id(workspace, client):
    workspace.genie_spaces.clear()
    with pytest.raises(GenieError, match=r"run `windmill deploy` first or pass --space-id"):
        find_space(client)


def test_a_completed_answer_has_genies_text_sql_and_typed_rows(workspace, client):
    workspace.genie_replies.append(critical_reply(frame=ALERTS.assign(open_hours=[3, 12])))
    answer = ask_genie(client, workspace.space_id, "Which turbines are critical?", **FAST)
    assert answer.intent == "genie"
    assert answer.answer == "Two turbines have open CRITICAL alerts."
    assert answer.sql == SQL
    assert answer.columns == ["turbine_id", "alert_level", "open_hours"]
    assert answer.rows == [["TURBINE_00042", "CRITICAL", 3], ["TURBINE_00007", "CRITICAL", 12]]
    assert answer.conversation_id in workspace.conversations
    body = answer.as_dict()
    assert (body["intent"], body["conversation_id"]) == ("genie", answer.conversation_id)
    assert {"question", "answer", "sql", "columns", "rows"} <= set(body)
    # Started SUBMITTED; two polls saw EXECUTING_QUERY, then COMPLETED; the stored result.
    assert workspace.messages["m-1"]["polls"] == 2
    assert workspace.reexecuted == []


def test_a_follow_up_stays_in_the_same_conversation(workspace, client):
    workspace.genie_replies += [
        critical_reply(),
        critical_reply(text="One of them is at site Alpha.", frame=ALERTS.head(1)),
    ]
    first = ask_genie(client, workspace.space_id, "Which turbines are critical?", **FAST)
    second = ask_genie(
        client,
        workspace.space_id,
        "Which of those is at Alpha?",
        conversation_id=first.conversation_id,
        **FAST,
    )
    assert second.conversation_id == first.conversation_id
    assert second.answer == "One of them is at site Alpha."
    assert second.rows == [["TURBINE_00042", "CRITICAL"]]
    assert list(workspace.conversations) == [first.conversation_id]
    contents = [workspace.messages[m]["content"] for m in workspace.conversations["c-1"]]
    assert contents == ["Which turbines are critical?", "Which of those is at Alpha?"]


def test_a_text_only_answer_has_no_sql_or_rows(workspace, client):
    workspace.genie_replies.append(GenieReply(text="Do you mean alerts or readings?"))
    answer = ask_genie(client, workspace.space_id, "what about it", **FAST)
    assert (answer.answer, answer.sql, answer.columns, answer.rows) == (
        "Do you mean alerts or readings?",
        "",
        [],
        [],
    )


def test_a_failed_message_is_one_sentence_with_genies_reason(workspace, client):
    workspace.genie_replies.append(
        GenieReply(statuses=("SUBMITTED", "FAILED"), error="The table cannot be read")
    )
    with pytest.raises(GenieError) as raised:
        ask_genie(client, workspace.space_id, "Which turbines are critical?", **FAST)
    assert str(raised.value) == (
        "Genie could not answer (The table cannot be read); rephrase the question and ask again."
    )


def test_a_cancelled_message_says_so(workspace, client):
    workspace.genie_replies.append(GenieReply(statuses=("ASKING_AI", "CANCELLED")))
    with pytest.raises(GenieError, match=r"^The Genie message was cancelled before it answered"):
        ask_genie(client, workspace.space_id, "Which turbines are critical?", **FAST)


def test_an_expired_result_is_executed_again(workspace, client):
    workspace.genie_replies.append(critical_reply(expired=True))
    answer = ask_genie(client, workspace.space_id, "Which turbines are critical?", **FAST)
    assert workspace.reexecuted == ["a-m-1"]
    assert answer.rows == [["TURBINE_00042", "CRITICAL"], ["TURBINE_00007", "CRITICAL"]]
    assert answer.sql == SQL


def test_an_expired_result_that_cannot_run_again_says_so(workspace, client):
    workspace.genie_replies.append(
        critical_reply(expired=True, reexecute_error="warehouse is stopped")
    )
    with pytest.raises(GenieError) as raised:
        ask_genie(client, workspace.space_id, "Which turbines are critical?", **FAST)
    assert str(raised.value) == (
        "Genie's query result expired and running its query again failed (warehouse is "
        "stopped); ask again, with --conversation c-1 to stay in this conversation."
    )


def test_a_message_that_never_completes_stops_at_the_deadline(workspace, client):
    workspace.genie_replies.append(GenieReply(statuses=("SUBMITTED", "ASKING_AI")))
    started = time.monotonic()
    with pytest.raises(GenieError) as raised:
        ask_genie(
            client, workspace.space_id, "Which turbines are critical?", deadline_s=1, poll_s=0.1
        )
    elapsed = time.monotonic() - started
    assert 1 <= elapsed < 3
    assert str(raised.value) == (
        "Genie did not answer in time (still ASKING_AI); ask again later, with "
        "--conversation c-1 to stay in this conversation."
    )
    assert 5 <= workspace.messages["m-1"]["polls"] <= 12  # polled every 0.1 s, no faster


def test_windmill_ask_on_databricks_prints_genies_answer_and_follows_up(workspace, tmp_path):
    config = tmp_path / "databrickscfg"
    config.write_text(f"[demo]\nhost = {workspace.url}\ntoken = {TOKEN}\n")
    env = {"DATABRICKS_CONFIG_FILE": str(config), "HOME": str(tmp_path)}
    quick = ("SUBMITTED", "COMPLETED")  # one poll: the CLI polls every 2 s
    workspace.genie_replies += [
        critical_reply(statuses=quick),
        critical_reply(statuses=quick, text="TURBINE_00042 is the older one.", frame=ALERTS[:1]),
    ]
    ask = ("ask", "--workspace", "databricks", "--profile", "demo")
    first = run_windmill(*ask, "Which turbines are critical?", env=env, timeout=60)
    lines = first.stdout.splitlines()
    assert lines[0] == "Two turbines have open CRITICAL alerts."
    assert "TURBINE_00007" in first.stdout and f"SQL: {SQL}" in lines
    assert lines[-1] == "Conversation: c-1 (follow up with --conversation c-1)"
    second = run_windmill(
        *ask, "--conversation", "c-1", "--format", "json", "Which is older?", env=env, timeout=60
    )
    body = json.loads(second.stdout)
    assert body["answer"] == "TURBINE_00042 is the older one."
    assert body["rows"] == [["TURBINE_00042", "CRITICAL"]]
    assert (body["intent"], body["conversation_id"]) == ("genie", "c-1")
    assert workspace.conversations == {"c-1": ["m-1", "m-2"]}
    # A failure is one sentence on stderr and exit code 2.
    workspace.genie_replies.append(GenieReply(statuses=("FAILED",), error="no warehouse"))
    failed = run_windmill(
        *ask, "--space-id", workspace.space_id, "Which?", env=env, timeout=60, check=False
    )
    assert failed.returncode == 2
    assert failed.stderr.strip().splitlines()[-1] == (
        "windmill ask: Genie could not answer (no warehouse); rephrase the question and ask again."
    )


def test_an_unknown_space_or_conversation_is_one_sentence(workspace, client):
    with pytest.raises(GenieError) as raised:
        ask_genie(client, "01f0nosuchspace", "Which turbines are critical?", **FAST)
    assert str(raised.value) == (
        "The Genie API refused the question (no such Genie space); check that Genie space "
        "01f0nosuchspace exists and that you may use it."
    )
    with pytest.raises(GenieError, match=r"check that conversation c-9 of Genie space 01f0"):
        ask_genie(client, workspace.space_id, "And?", conversation_id="c-9", **FAST)


def test_spaces_that_cannot_be_listed_say_to_pass_the_space_id(workspace, client):
    workspace.fail_on["/api/2.0/genie/spaces"] = 403
    with pytest.raises(GenieError, match=r"^Could not list the Genie spaces \(injected\); pass"):
        find_space(client)
