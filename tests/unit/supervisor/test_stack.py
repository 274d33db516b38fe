"""The windmill stack: backfill bookkeeping, prechecks, the dispatch trigger, command lines."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from workloads import names
from workloads.config import Paths
from workloads.errors import WindmillError
from workloads.ledger import Ledger
from workloads.supervisor.process import Component
from workloads.supervisor.stack import (
    BUILDERS,
    AfterEachUpdate,
    FirstUpdate,
    StackContext,
    StackOptions,
    backfill_plan,
    backfill_slices,
    components,
    landing_precheck,
    mark_backfill_done,
    mark_recent_done,
    only,
)

pytestmark = pytest.mark.unit

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def test_first_start_fixes_the_backfill_plan_until_it_is_done(tmp_path):
    paths = Paths(tmp_path / "home")
    options = StackOptions(backfill_hours=2, turbines=5, seed=7)
    plan = backfill_plan(paths, options, now=NOW)
    assert plan == {"hours": 2, "start": "2026-01-05T10:00:00Z", "turbines": 5, "seed": 7}
    # A crash during the backfill: the next start redoes the *same* backfill, even later
    # and with other flags, so the generator rewrites the same batches.
    later = datetime(2026, 1, 5, 13, 30, tzinfo=UTC)
    assert backfill_plan(paths, StackOptions(backfill_hours=5, turbines=9), now=later) == plan
    mark_backfill_done(paths)
    assert backfill_plan(paths, options, now=later) is None


def test_no_backfill_when_the_home_already_has_data_or_none_is_wanted(tmp_path):
    paths = Paths(tmp_path / "home")
    assert backfill_plan(paths, StackOptions(backfill_hours=0), now=NOW) is None
    paths.landing.mkdir(parents=True)
    (paths.landing / ".batch-in-progress.tmp").write_text("")
    assert backfill_plan(paths, StackOptions(), now=NOW) is not None  # temp files don't count
    (paths.run / "backfill.json").unlink()
    (paths.landing / "batch-000001.jsonl").write_text("{}\n")
    assert backfill_plan(paths, StackOptions(), now=NOW) is None


def test_landing_precheck_names_the_problem(tmp_path):
    paths = Paths(tmp_path / "home")
    landing_precheck(paths)()  # creates the folder, leaves nothing behind
    assert list(paths.landing.iterdir()) == []
    # Unwritable landing (works as root too): the folder's place is taken by a file.
    paths.landing.rmdir()
    paths.landing.write_text("not a folder")
    with pytest.raises(
        WindmillError,
        match=r"landing folder .* is not writable \(a file is in the folder's place\)",
    ):
        landing_precheck(paths)()
    paths.landing.unlink()
    with pytest.raises(WindmillError, match="disk almost full"):
        landing_precheck(paths, min_free_bytes=1 << 62)()


def test_dispatch_is_triggered_once_per_completed_update(tmp_path):
    ledger = Ledger(tmp_path / "ledger.sqlite")
    pipeline_id = ledger.ensure_pipeline(names.PIPELINE_NAME)
    ledger.finish_update(ledger.start_update(pipeline_id), "COMPLETED")  # before this start
    engine = {"up": False}
    trigger = AfterEachUpdate(ledger, names.PIPELINE_NAME, lambda: engine["up"])
    assert not trigger()
    update = ledger.start_update(pipeline_id)
    assert not trigger()  # still running
    ledger.finish_update(update, "COMPLETED")
    assert not trigger()  # the pipeline's engine is not up (killed): do not start another
    engine["up"] = True
    assert trigger()
    assert not trigger()
    failed = ledger.start_update(pipeline_id)
    ledger.finish_update(failed, "FAILED", error="boom")
    assert not trigger()  # nothing new to plan from
    ledger.finish_update(ledger.start_update(pipeline_id), "COMPLETED")
    ledger.finish_update(ledger.start_update(pipeline_id), "COMPLETED")
    assert trigger()  # two updates, one re-plan
    assert not trigger()


def test_components_pass_the_flags_through(tmp_path):
    paths = Paths(tmp_path / "home")
    ledger = Ledger(paths.ledger)
    options = StackOptions(
        turbines=5, records_per_batch=3, batch_interval=0.5, backfill_hours=1, seed=9, port=5123
    )
    stack = {c.name: c for c in components(paths, options, ledger)}
    assert list(stack) == [
        "dashboard",
        "backfill",
        "generator",
        "pipeline",
        "dispatch",
        "score",
        "train",
        "schedule",
    ]  # no notifier without channels
    assert all(stack[name].after == ("backfill",) for name in ("score", "train", "schedule"))
    generator = stack["generator"].argv[3:]
    assert generator == [
        "generate",
        "--turbines",
        "5",
        "--records-per-batch",
        "3",
        "--batch-interval",
        "0.5",
        "--seed",
        "9",
    ]
    plan = json.loads((paths.run / "backfill.json").read_text())
    backfill = stack["backfill"].argv[3:]
    assert backfill[:2] == ["generate", "--backfill-hours"] and plan["start"] in backfill
    # The engine starts with the backfill; its first update waits for the backfill's marker,
    # the streaming generator for that first update.
    assert stack["generator"].after == ("backfill",)
    assert isinstance(stack["generator"].trigger, FirstUpdate)
    assert stack["pipeline"].after == stack["dashboard"].after == ()
    assert "--port" in stack["dashboard"].argv and "5123" in stack["dashboard"].argv
    assert stack["pipeline"].argv[3:6] == ["pipeline", "run", "--continuous"]
    assert stack["pipeline"].argv[-2:] == [
        "--start-after",
        str(paths.run / "backfill.recent.done"),
    ]
    assert stack["generator"].job == stack["backfill"].job == names.GENERATOR_JOB
    assert stack["pipeline"].pipeline == names.PIPELINE_NAME
    # Once backfilled, a restart has no backfill step and nothing waits for one.
    mark_backfill_done(paths)
    again = {c.name: c for c in components(paths, options, ledger)}
    assert "backfill" not in again and again["generator"].after == ()
    assert again["generator"].trigger is None and "--start-after" not in again["pipeline"].argv


def test_the_streaming_generator_waits_for_the_first_completed_update(tmp_path):
    ledger = Ledger(tmp_path / "ledger.sqlite")
    pipeline_id = ledger.ensure_pipeline(names.PIPELINE_NAME)
    first = FirstUpdate(ledger, names.PIPELINE_NAME)
    assert not first()
    update = ledger.start_update(pipeline_id)
    assert not first()  # running is not done
    ledger.finish_update(update, "FAILED", error="boom")
    assert not first()
    ledger.finish_update(ledger.start_update(pipeline_id), "COMPLETED")
    assert first() and first()  # and stays true


def test_only_keeps_the_history_and_drops_waits_for_missing_components(tmp_path):
    paths = Paths(tmp_path / "home")
    ledger = Ledger(paths.ledger)
    stack = components(paths, StackOptions(backfill_hours=1), ledger)
    alone = {c.name: c for c in only(stack, {"generator"})}
    assert list(alone) == ["backfill", "generator"]
    assert alone["generator"].after == ("backfill",) and alone["generator"].trigger is None
    with_pipeline = {c.name: c for c in only(stack, {"generator", "pipeline"})}
    assert isinstance(with_pipeline["generator"].trigger, FirstUpdate)
    assert [c.name for c in only(stack, {"dashboard", "dispatch"})] == ["dashboard", "dispatch"]
    assert only(stack, {"dashboard", "dispatch"})[1].after == ()


def test_builders_extend_the_stack_in_order(tmp_path):
    paths = Paths(tmp_path / "home")
    ledger = Ledger(paths.ledger)

    def extra(ctx: StackContext) -> Component:
        return Component("extra", ["true"], after=ctx.after, env=ctx.env)

    stack = components(
        paths,
        StackOptions(backfill_hours=1, dispatch=False),
        ledger,
        builders=[*BUILDERS, extra, lambda _: None],
    )
    assert [c.name for c in stack] == [
        "dashboard", "backfill", "generator", "pipeline", "extra"
    ]  # fmt: skip
    assert stack[-1].after == ("backfill",)
    assert stack[-1].env == {"WINDMILL_HOME": str(paths.home)}


def test_notify_channels_add_the_notifier_with_the_urls_out_of_its_command_line(
    tmp_path, monkeypatch
):
    monkeypatch.delenv("WINDMILL_NOTIFY", raising=False)
    paths = Paths(tmp_path / "home")
    secret = "https://user:s3cret@hooks.example.org/T000/B000"
    options = StackOptions(notify=(secret,), notify_level="WARNING", dispatch=False)
    stack = {c.name: c for c in components(paths, options, Ledger(paths.ledger))}
    assert "notifier" in stack and "score" not in stack and "schedule" not in stack
    notifier = stack["notifier"]
    assert notifier.argv[3:] == ["notify", "--notify-level", "WARNING", "--poll", "0.5"]
    assert not any("s3cret" in part for part in notifier.argv)
    assert notifier.env["WINDMILL_NOTIFY"] == secret


def test_a_day_of_history_is_written_last_hour_first_and_the_rest_after_the_first_update(
    tmp_path,
):
    paths = Paths(tmp_path / "home")
    ledger = Ledger(paths.ledger)
    stack = {c.name: c for c in components(paths, StackOptions(backfill_hours=24), ledger)}
    plan = json.loads((paths.run / "backfill.json").read_text())
    recent, older = stack["backfill"].argv[3:], stack["history"].argv[3:]

    def window(argv):
        hours = float(argv[argv.index("--backfill-hours") + 1])
        start = datetime.fromisoformat(argv[argv.index("--start") + 1].replace("Z", "+00:00"))
        return start, start + timedelta(hours=hours)

    # The two slices tile the planned day exactly: the older one ends where the last hour
    # starts, and together they start and end where the plan does.
    plan_start = datetime.fromisoformat(plan["start"].replace("Z", "+00:00"))
    (recent_start, recent_end), (older_start, older_end) = window(recent), window(older)
    assert older_start == plan_start and older_end == recent_start
    assert recent_end - recent_start == timedelta(hours=1)
    assert recent_end == plan_start + timedelta(hours=24)
    # The pipeline's first update waits only for the last hour; the older history waits
    # for that update; everything that reads history waits for all of it.
    assert stack["pipeline"].argv[-1] == str(paths.run / "backfill.recent.done")
    assert stack["history"].after == ("backfill",)
    assert isinstance(stack["history"].trigger, FirstUpdate)
    for name in ("generator", "dispatch", "score", "train", "schedule"):
        assert stack[name].after == ("history",), name

    # The last hour done, then a crash: a restart writes only the older history.
    mark_recent_done(paths)
    again = {c.name: c for c in components(paths, StackOptions(backfill_hours=24), ledger)}
    assert "backfill" not in again and again["history"].after == ()
    assert again["history"].argv == stack["history"].argv
    assert again["generator"].after == ("history",)
    mark_backfill_done(paths)
    done = {c.name: c for c in components(paths, StackOptions(backfill_hours=24), ledger)}
    assert "history" not in done and "backfill" not in done


def test_short_histories_and_those_beyond_the_episodes_lateness_are_written_in_one_piece():
    start = "2026-01-05T12:00:00Z"
    for hours in (1, 2, 48, 336):
        plan = {"hours": hours, "start": start, "turbines": 5, "seed": 1}
        assert backfill_slices(plan) == {"recent": plan}, hours
    split = backfill_slices({"hours": 24, "start": start, "turbines": 5, "seed": 1})
    assert split["history"] == {"hours": 23.0, "start": start, "turbines": 5, "seed": 1}
    assert split["recent"]["start"] == "2026-01-06T11:00:00Z"
