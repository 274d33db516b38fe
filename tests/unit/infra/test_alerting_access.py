"""The App's grants on the alert tables (AlertDeskAccess), synthesized for real."""

from __future__ import annotations

import json

from infra.alerting import AlertDeskAccess
from infra.cdk import TerraformStack, Testing


def test_the_app_reads_the_outbox_and_records_actions_and_nothing_more():
    stack = TerraformStack(Testing.app(), "alert-desk-access")
    AlertDeskAccess(stack, "desk", catalog="main", schema="ana", principal="sp-123")
    grants = json.loads(Testing.synth(stack))["resource"]["databricks_grant"]
    got = {g["table"]: (g["principal"], sorted(g["privileges"])) for g in grants.values()}
    assert got == {
        "main.ana.alert_outbox": ("sp-123", ["SELECT"]),
        "main.ana.alert_actions": ("sp-123", ["MODIFY", "SELECT"]),
    }
