"""Entities, time words, the JSON shape, tools and the CLI of `windmill ask`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.fakes import ask_dataset
from workloads import cli
from workloads.ask import MAX_QUESTION_CHARS, Answer, ask_local, entities, tools
from workloads.config import Paths
from workloads.errors import WindmillError

CLOCK = ask_dataset.NOW
NOWHERE = Paths(Path("/nonexistent/windmill-home"))


@pytest.mark.parametrize(
    ("text", "turbine"),
    [
        ("status of TURBINE_00042", "TURBINE_00042"),
        ("status of turbine 42", "TURBINE_00042"),
        ("T42 status", "TURBINE_00042"),
        ("turbine #42", "TURBINE_00042"),
        ("turbne 42", "TURBINE_00042"),
        ("how is t-7", "TURBINE_00007"),
        ("the fleet", None),
        ("last 24 hours", None),
    ],
)
def test_turbine_ids_in_every_form(text, turbine):
    assert entities.extract(text, CLOCK).turbine == turbine


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ("overheating gearbox", "GEARBOX_OVERHEAT"),
        ("GEARBOX_OVERHEAT", "GEARBOX_OVERHEAT"),
        ("hot generator", "GENERATOR_OVERHEAT"),
        ("leaning tower", "TOWER_LEAN"),
        ("shaking", "HIGH_VIBRATION"),
        ("low oil pressure", "LOW_OIL_PRESSURE"),
        ("what is the meaning of life", None),
        ("how much power now", None),
    ],
)
def test_fault_names_and_synonyms(text, fault):
    assert entities.extract(text, CLOCK).fault == fault


@pytest.mark.parametrize(
    ("text", "site"),
    [("alerts at Altamont", "Altamont Pass"), ("whitele power", "Whitelee"), ("fleet", None)],
)
def test_site_names_fuzzy(text, site):
    found = entities.extract(text, CLOCK).site
    assert (found.name if found else None) == site


def test_time_words_are_relative_to_the_clock():
    at = datetime(2026, 1, 7, 12, 0, tzinfo=UTC)  # a Wednesday
    today = entities.extract("energy today", at).period
    assert (today.start, today.end) == (datetime(2026, 1, 7, tzinfo=UTC), at)
    yesterday = entities.extract("energy yesterday", at).period
    assert (yesterday.start, yesterday.end) == (
        datetime(2026, 1, 6, tzinfo=UTC),
        datetime(2026, 1, 7, tzinfo=UTC),
    )
    week = entities.extract("energy this week", at).period
    assert week.start == datetime(2026, 1, 5, tzinfo=UTC)
    six = entities.extract("faults in the last 6 hours", at).period
    assert six.start == datetime(2026, 1, 7, 6, 0, tzinfo=UTC)
    assert entities.extract("top 5 worst turbines", at).limit == 5
    assert entities.extract("faults in the last 6 hours", at).limit is None


def test_time_words_follow_the_data_clock_unless_now_is_given(ask_paths):
    from_data = ask_local("energy today", ask_paths)
    assert "TIMESTAMP '2026-01-07 00:00:00'" in from_data.sql  # the latest reading's day
    later = ask_local("energy today", ask_paths, now=datetime(2026, 1, 6, 15, 0, tzinfo=UTC))
    assert "TIMESTAMP '2026-01-06 00:00:00'" in later.sql
    assert later.rows != from_data.rows


def test_as_dict_has_exactly_the_documented_keys(ask_paths):
    answer = ask_local("which turbines need maintenance?", ask_paths)
    assert isinstance(answer, Answer)
    assert list(answer.as_dict()) == ["question", "intent", "answer", "sql", "columns", "rows"]
    json.dumps(answer.as_dict())  # JSON-ready values only
    assert [r[0] for r in answer.rows] == [
        "TURBINE_00002",
        "TURBINE_00004",
        "TURBINE_00007",
        "TURBINE_00012",
    ]


def test_a_missing_turbine_is_answered_not_guessed(ask_paths):
    answer = ask_local("status of turbine 99", ask_paths)
    assert answer.intent == "turbine_status" and answer.rows == []
    assert "TURBINE_00099 has not reported" in answer.answer


def test_tool_intents_show_the_tool_call(ask_paths):
    answer = ask_local("what is crew 2's schedule?", ask_paths)
    assert answer.sql == "crew_route(crew_id => 'CREW_02')"
    assert answer.tool == "crew_route"
    assert [r[2] for r in answer.rows] == ["TURBINE_00004", "TURBINE_00007"]
    assert answer.answer.startswith("CREW_02 has 2 stops")


def test_tool_registry_mirrors_unity_catalog_function_metadata():
    info = tools.uc_function_info(tools.TOOLS["crew_route"], "main", "windmill")
    assert info["full_name"] == "main.windmill.crew_route"
    assert info["data_type"] == "TABLE_TYPE"
    assert info["input_params"]["parameters"] == [
        {
            "name": "crew_id",
            "type_name": "STRING",
            "type_text": "string",
            "position": 0,
            "comment": "Crew id as in the roster, e.g. CREW_01.",
            "parameter_default": "NULL",
        }
    ]
    assert [p["name"] for p in info["return_params"]["parameters"]] == tools.TOOLS[
        "crew_route"
    ].columns
    with pytest.raises(WindmillError, match="must be STRING"):
        tools.call(
            NOWHERE,
            "crew_route",
            {"crew_id": 2},
        )
    with pytest.raises(WindmillError, match="no parameter"):
        tools.TOOLS["pipeline_health"].check({"x": 1})


def test_pipeline_health_reads_the_ledger(ask_paths, tmp_path):
    answer = ask_local("is the pipeline healthy?", ask_paths)
    assert [r[:3] for r in answer.rows][0] == ["pipeline", "Windmill IoT Lakeflow Pipeline", "IDLE"]
    assert {r[1] for r in answer.rows if r[0] == "job"} == {
        "windmill-data-generator",
        "windmill-dispatch",
    }
    empty = Paths(tmp_path / "empty")
    assert ask_local("is the pipeline healthy?", empty).rows == []
    assert not (empty.ledger).exists()  # read-only: no ledger is created


def test_an_empty_home_answers_without_data(tmp_path):
    paths = Paths(tmp_path / "nothing")
    for text in (
        "which turbines need maintenance?",
        "energy today",
        "how fresh is the data",
        "crew 1 route",
    ):
        answer = ask_local(text, paths)
        assert answer.rows in ([], [[None, 0]], [[None, None, 0]]), (text, answer.rows)


def test_input_is_length_limited():
    with pytest.raises(WindmillError, match="at most 500"):
        ask_local("x" * (MAX_QUESTION_CHARS + 1), NOWHERE)
    with pytest.raises(WindmillError, match="Ask a question"):
        ask_local("   ", NOWHERE)


def test_cli_json_and_errors(ask_paths, monkeypatch, capsys):
    monkeypatch.setenv("WINDMILL_HOME", str(ask_paths.home))
    assert cli.main(["ask", "--format", "json", "open alerts at Jutland"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"question", "intent", "answer", "sql", "columns", "rows"}
    assert data["intent"] == "open_alerts" and [r[0] for r in data["rows"]] == [
        "TURBINE_00012",
        "TURBINE_00004",
    ]
    assert cli.main(["ask", "which crew goes to T2 and when?"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("CREW_01 goes to TURBINE_00002")
    assert "SQL: SELECT crew_id" in out and "(1 row)" in out
    assert cli.main(["ask", "crew 1 route"]) == 0
    assert "Tool call: crew_route(crew_id => 'CREW_01')" in capsys.readouterr().out
    assert cli.main(["ask", "--format", "json", "tell me a joke"]) == 0
    assert "clarification" in json.loads(capsys.readouterr().out)
    assert cli.main(["ask", "y" * 600]) == 2
    err = capsys.readouterr().err
    assert (
        err.startswith("windmill ask: The question is 600 characters long") and err.count("\n") == 1
    )
    assert cli.main(["ask", "--conversation", "c1", "open alerts"]) == 2
    assert "need --workspace databricks" in capsys.readouterr().err


def test_unassigned_tasks_are_on_no_crews_route(tmp_path):
    # A real plan also lists tasks no crew could take (crew_id null, as the dispatcher writes).
    import pyarrow as pa
    import pyarrow.parquet as pq

    from workloads import names, storage

    paths = Paths(tmp_path)
    ask_dataset.write(paths)
    plan = storage.read_arrow(paths, names.GOLD_DISPATCH)
    unassigned = {name: [None] for name in plan.column_names}
    unassigned |= {"task_id": ["TURBINE_00006:LOW_POWER_OUTPUT"], "turbine_id": ["TURBINE_00006"]}
    extra = pa.Table.from_pydict(unassigned, schema=plan.schema)
    target = storage.new_version_folder(paths, names.GOLD_DISPATCH)
    pq.write_table(pa.concat_tables([plan, extra]), target / "part-00000.parquet")
    storage.publish(paths, names.GOLD_DISPATCH, target)

    every = ask_local("what is the schedule of every crew?", paths)
    assert every.intent == "crew_schedule"
    assert "TURBINE_00006" not in [r[2] for r in every.rows]
    assert every.answer == "2 crews have 4 planned stops."
    unassigned_turbine = ask_local("which crew goes to turbine 6?", paths)
    assert unassigned_turbine.intent == "crew_for_turbine"
    assert unassigned_turbine.answer.startswith("No crew could take TURBINE_00006")
