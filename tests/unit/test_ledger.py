import pytest

from workloads.ledger import Ledger, stable_job_id, stable_pipeline_id


@pytest.mark.unit
def test_pipeline_update_lifecycle(tmp_path):
    ledger = Ledger(tmp_path / "ledger.sqlite")
    pipeline_id = ledger.ensure_pipeline("Windmill IoT Lakeflow Pipeline")
    assert pipeline_id == ledger.ensure_pipeline("Windmill IoT Lakeflow Pipeline")
    assert pipeline_id == stable_pipeline_id("Windmill IoT Lakeflow Pipeline")

    update_id = ledger.start_update(pipeline_id)
    assert ledger.list_pipelines()[0]["state"] == "RUNNING"
    ledger.finish_update(update_id, "COMPLETED", metrics={"bronze_sensor_data": {"written": 10}})
    [pipeline] = ledger.list_pipelines()
    assert pipeline["state"] == "IDLE"
    assert pipeline["latest_update"]["state"] == "COMPLETED"
    assert pipeline["latest_update"]["metrics"] == {"bronze_sensor_data": {"written": 10}}

    failed = ledger.start_update(pipeline_id)
    ledger.finish_update(failed, "FAILED", error="boom")
    [pipeline] = ledger.list_pipelines()
    assert (pipeline["state"], pipeline["latest_update"]["error"]) == ("FAILED", "boom")


@pytest.mark.unit
def test_job_runs_and_abandon(tmp_path):
    ledger = Ledger(tmp_path / "ledger.sqlite")
    job_id = ledger.ensure_job("windmill-data-generator")
    assert job_id == stable_job_id("windmill-data-generator")
    done = ledger.start_run(job_id)
    ledger.finish_run(done, "SUCCESS")
    stuck = ledger.start_run(job_id)
    pipeline_id = ledger.ensure_pipeline("windmill pipeline")
    ledger.start_update(pipeline_id)

    assert ledger.abandon_running("process died") == 2
    runs = ledger.list_runs(job_id)
    assert [r["run_id"] for r in runs] == [stuck, done]
    assert runs[0]["result_state"] == "FAILED" and runs[0]["state_message"] == "process died"
    assert ledger.list_pipelines()[0]["state"] == "IDLE"
    assert ledger.list_pipelines()[0]["latest_update"]["state"] == "FAILED"
    with pytest.raises(ValueError):
        ledger.finish_run(done, "MAYBE")
