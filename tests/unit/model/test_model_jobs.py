"""The model's Databricks jobs, synthesized inside the workspace stack (as the lead wires it)."""

from __future__ import annotations

from infra.cdk import Testing
from infra.model_jobs import SCORE_CRON, TRAIN_CRON, ModelJobs
from infra.stacks import WorkspaceStack
from tests.unit.infra.synth_helpers import config, one
from workloads.model import SCORE_JOB, TRAIN_JOB


class StackWithModel(WorkspaceStack):
    def __init__(self, scope, id_, *, config):
        super().__init__(scope, id_, config=config)
        self.model_jobs = ModelJobs(
            self,
            "model-jobs",
            config=config,
            catalog=self.catalog,
            code=self.code,
            compute=self.compute,
        )


def test_train_and_score_jobs_run_the_wheel_on_a_schedule():
    built = StackWithModel(Testing.app(), "test-model", config=config("dev"))
    synthesized = Testing.synth(built)
    train = one(synthesized, "databricks_job", name=TRAIN_JOB)
    score = one(synthesized, "databricks_job", name=SCORE_JOB)
    for job, command, cron in ((train, "train", TRAIN_CRON), (score, "score", SCORE_CRON)):
        task = job["task"][0]["python_wheel_task"]
        assert task["entry_point"] == "windmill"
        assert task["parameters"][0] == command and "--catalog" in task["parameters"]
        assert job["schedule"]["quartz_cron_expression"] == cron
        assert job["schedule"]["timezone_id"] == "UTC"
        assert job["max_concurrent_runs"] == 1
