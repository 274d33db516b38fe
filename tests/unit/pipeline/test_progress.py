"""An update's phases from the engine's events (no engine: hand-written events)."""

import pytest

from workloads.pipeline import progress

pytestmark = pytest.mark.unit

T0 = 1_000.0
EVENTS = [
    (T0 + 0.0, "Flow spark_catalog.windmill_pipeline.bronze_sensor_data is QUEUED."),
    (T0 + 0.0, "Flow spark_catalog.windmill_pipeline.gold_turbine_status is QUEUED."),
    (T0 + 0.1, "Flow spark_catalog.windmill_pipeline.bronze_sensor_data is STARTING."),
    (T0 + 0.3, "Flow spark_catalog.windmill_pipeline.bronze_sensor_data is RUNNING."),
    (T0 + 0.9, "Flow spark_catalog.windmill_pipeline.bronze_sensor_data has COMPLETED."),
    (T0 + 1.0, "Flow `spark_catalog`.`windmill_pipeline`.`gold_turbine_status` is PLANNING."),
    (T0 + 1.2, "Flow `spark_catalog`.`windmill_pipeline`.`gold_turbine_status` is RUNNING."),
    (T0 + 2.5, "Flow `spark_catalog`.`windmill_pipeline`.`gold_turbine_status` has COMPLETED."),
    (T0 + 2.6, "Run is COMPLETED."),
]


def test_each_flow_runs_from_its_start_to_its_completion():
    spans = progress.flow_spans(EVENTS)
    assert set(spans) == {"bronze_sensor_data", "gold_turbine_status"}
    bronze = spans["bronze_sensor_data"]
    assert (bronze.queued, bronze.started, bronze.done) == (T0, T0 + 0.1, T0 + 0.9)
    assert bronze.state == "COMPLETED"
    assert spans["gold_turbine_status"].seconds == pytest.approx(1.5)


def test_phases_say_each_flows_run_time_and_when_its_table_was_ready():
    flows = progress.flow_phases(progress.flow_spans(EVENTS), T0 - 1.0)
    assert flows == {
        "bronze_sensor_data": {"run": 0.8, "done": 1.9},
        "gold_turbine_status": {"run": 1.5, "done": 3.5},
    }
    phases = {"register": 0.4567, "flows": flows, "published": {"gold_turbine_status": 3.6}}
    assert progress.describe(phases) == (
        "register 0.46 s; bronze_sensor_data 0.80 s (+1.9); gold_turbine_status 1.50 s (+3.5); "
        "files published: gold_turbine_status +3.6"
    )


def test_only_a_completion_event_names_a_completed_flow():
    assert progress.completed_flow(EVENTS[4][1]) == "bronze_sensor_data"
    assert progress.completed_flow(EVENTS[7][1]) == "gold_turbine_status"
    assert progress.completed_flow(EVENTS[3][1]) is None
    assert progress.completed_flow("Run is COMPLETED.") is None


def test_a_flow_that_never_started_has_no_run_time():
    spans = progress.flow_spans([(T0, "Flow a.b.silver_quarantine is QUEUED."), (T0, "noise")])
    assert spans["silver_quarantine"].seconds is None
    assert progress.flow_phases(spans, T0) == {}
