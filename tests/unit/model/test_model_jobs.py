"""The model's Databricks jobs, synthesized inside the workspace stack."""

from __future__ import annotations

from infra.model_jobs import SCORE_CRON, TRAIN_CRON
from tests.unit.infra.synth_helpers import one, synth
from workloads.model import SCORE_JOB, TRAIN_JOB


def test_train_and_score_jobs_run_the_wheel_on_a_schedule():
    synthesized = synth("dev")  # the workspace stack, shared with tests/unit/infra
    train = one(synthesized, "databricks_job", name=TRAIN_JOB)
    score = one(synthesized, "databricks_job", name=SCORE_JOB)
    for job, command, cron in ((train, "train", TRAIN_CRON), (score, "score", SCORE_CRON)):
        task = job["task"][0]["python_wheel_task"]
        assert task["entry_point"] == "windmill"
        assert task["parameters"][0] == command and "--catalog" in task["parameters"]
        assert job["schedule"]["quartz_cron_expression"] == cron
        assert job["schedule"]["timezone_id"] == "UTC"
        assert job["max_concurrent_runs"] == 1
