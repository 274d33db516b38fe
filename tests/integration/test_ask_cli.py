"""`windmill ask --workspace databricks` through the CLI against the fake workspace's Genie."""

from __future__ import annotations

import json
import os

import pandas as pd
import pytest

from tests.fakes.workspace import FakeWorkspace, GenieReply
from workloads import cli
from workloads.names import GENIE_SPACE_TITLE

pytestmark = pytest.mark.integration
TOKEN = "dapi0123456789abcdef0123456789abcdef"
SQL = "SELECT turbine_id FROM gold_maintenance_alerts WHERE alert_level = 'CRITICAL'"


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    for key in list(os.environ):
        if key.startswith("DATABRICKS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.databrickscfg
    ws = FakeWorkspace()
    ws.space_id = ws.add_genie_space(GENIE_SPACE_TITLE)
    ws.start()
    monkeypatch.setenv("DATABRICKS_HOST", ws.url)
    monkeypatch.setenv("DATABRICKS_TOKEN", TOKEN)
    yield ws
    ws.stop()


def test_genie_answers_through_the_cli_and_a_follow_up_stays_in_the_conversation(workspace, capsys):
    frame = pd.DataFrame({"turbine_id": ["TURBINE_00042"]})
    workspace.genie_replies.append(GenieReply(text="One critical turbine.", sql=SQL, frame=frame))
    assert cli.main(["ask", "--workspace", "databricks", "--format", "json", "critical?"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert (body["answer"], body["sql"], body["rows"]) == (
        "One critical turbine.",
        SQL,
        [["TURBINE_00042"]],
    )
    conversation = body["conversation_id"]
    workspace.genie_replies.append(GenieReply(text="It is TURBINE_00042.", sql=SQL, frame=frame))
    args = ["ask", "--workspace", "databricks", "--conversation", conversation, "which one?"]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "It is TURBINE_00042."
    assert f"SQL: {SQL}" in out and f"--conversation {conversation}" in out


def test_a_failed_genie_message_is_one_sentence_and_exit_2(workspace, capsys):
    workspace.genie_replies.append(
        GenieReply(statuses=("SUBMITTED", "FAILED"), error="no such table")
    )
    assert (
        cli.main(["ask", "--workspace", "databricks", "--space-id", workspace.space_id, "x?"]) == 2
    )
    err = capsys.readouterr().err
    assert err.startswith("windmill ask: Genie could not answer (no such table)")
    assert err.count("\n") == 1


def test_no_databricks_configuration_is_one_sentence(tmp_path, monkeypatch, capsys):
    for key in list(os.environ):
        if key.startswith("DATABRICKS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cli.main(["ask", "--workspace", "databricks", "--profile", "nope", "x?"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("windmill ask: Cannot connect to Databricks") and err.count("\n") == 1
