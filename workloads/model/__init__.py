"""The failure-risk model: which turbines will fault within the horizon, hours ahead."""

from workloads.names import MODEL_SCORE_JOB as SCORE_JOB
from workloads.names import MODEL_TRAIN_JOB as TRAIN_JOB

__all__ = ["SCORE_JOB", "TRAIN_JOB"]
