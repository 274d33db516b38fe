"""The `windmill up` component and the CLI's argument checks (no engine)."""

from __future__ import annotations

import argparse

import pytest

from workloads.errors import WindmillError
from workloads.schedule import command
from workloads.schedule.component import scheduling
from workloads.schedule.service import SCHEDULE_JOB


def parser():
    root = argparse.ArgumentParser()
    command.register(root.add_subparsers(dest="command"))
    return root


def test_the_component_re_plans_only_after_an_update():
    calls = iter([False, True])
    component = scheduling(
        ["windmill", "schedule"], lambda: next(calls), env={"WINDMILL_HOME": "/x"}
    )
    assert (component.name, component.job, component.records_own_runs) == (
        "schedule",
        SCHEDULE_JOB,
        True,
    )
    assert component.trigger() is False and component.trigger() is True


def test_simulate_says_when_the_model_evaluation_is_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("WINDMILL_HOME", str(tmp_path))
    args = parser().parse_args(["simulate", "--days", "3", "--turbines", "4", "--crews", "4"])
    with pytest.raises(WindmillError, match="run `windmill train` first"):
        args.func(args)


def test_simulate_refuses_a_fault_rate_above_the_generators():
    args = parser().parse_args(
        ["simulate", "--strategy", "corrective", "--days", "3", "--fault-rate", "1000"]
    )
    with pytest.raises(WindmillError, match="above the generator's own rate"):
        args.func(args)


def test_simulate_prints_the_table(capsys):
    args = parser().parse_args(
        ["simulate", "--strategy", "corrective", "--days", "5", "--turbines", "8", "--crews", "4"]
    )
    assert args.func(args) == 0
    out = capsys.readouterr().out
    for label in (
        "energy-based availability",
        "total cost (EUR)",
        "tasks in unsafe wind",
        "crew utilisation",
    ):
        assert label in out


def test_schedule_flags():
    args = parser().parse_args(["schedule"])
    assert (args.days, args.max_work_wind, args.wind_forecast) == (3, 12.0, None)
    with pytest.raises(WindmillError, match="go together"):
        command.run_schedule(parser().parse_args(["schedule", "--catalog", "c"]))
