"""The failure-risk model: which turbines will fault within the horizon (issue 18).

Job names live here until names.py (H1's) takes them: every name contains "windmill".
"""

TRAIN_JOB = "windmill-model-train"
SCORE_JOB = "windmill-model-score"
