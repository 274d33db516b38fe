"""Alerting in the workspace: notification destinations, a SQL alert on open CRITICAL
episodes, and where the notifier job finds its channels.

- Destinations (`databricks_notification_destination`): an EMAIL one for the
  environment's `notification_emails`, and a generic WEBHOOK one when asked for
  (`WINDMILL_NOTIFY_WEBHOOK_DESTINATION=true`): its URL is the sensitive Terraform
  variable `notify_webhook_url` (give it at apply time as `TF_VAR_notify_webhook_url`),
  so it is in neither the code nor the synthesized JSON. Every job's failures notify
  them (infra/jobs.py), so a failed pipeline refresh or job run reaches the same place.
- `databricks_alert_v2`: every minute, counts the open CRITICAL episodes of
  `gold_fault_episodes` on the warehouse and notifies the destinations (and the emails)
  while there are any, and once more when they are all closed.
- A secret scope `windmill-<env>-notify`: the notifier job reads its channel URLs from
  the secret `notify` there (`databricks secrets put-secret windmill-dev-notify notify`),
  never from its parameters.

The bindings below exist with the same names and arguments in
cdktf-cdktf-provider-databricks 15.16.1 and cdktn-provider-databricks 18.11.0, and are
resolved through infra/cdk.py's choice of CDK.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from constructs import Construct

from infra.catalog import UnityCatalog
from infra.cdk import (
    AlertV2,
    AlertV2Evaluation,
    AlertV2EvaluationNotification,
    AlertV2EvaluationNotificationSubscriptions,
    AlertV2EvaluationSource,
    AlertV2EvaluationThreshold,
    AlertV2EvaluationThresholdValue,
    AlertV2Schedule,
    Grant,
    NotificationDestination,
    NotificationDestinationConfigA,
    NotificationDestinationConfigEmail,
    NotificationDestinationConfigGenericWebhook,
    SecretScope,
    SqlEndpoint,
    core,
)
from infra.config import EnvironmentConfig
from workloads import names
from workloads.alerting.delta import ALERT_ACTIONS, ALERT_OUTBOX

WEBHOOK_ENV = "WINDMILL_NOTIFY_WEBHOOK_DESTINATION"
WEBHOOK_VARIABLE = "notify_webhook_url"
NOTIFY_SECRET_KEY = "notify"
ALERT_CRON = "0 * * * * ?"  # every minute (Quartz)
OPEN_CRITICAL = "open_critical"


def webhook_requested(environ: Mapping[str, str] | None = None) -> bool:
    """Whether to declare the webhook destination (its URL comes at apply time)."""
    environ = os.environ if environ is None else environ
    return (environ.get(WEBHOOK_ENV) or "").strip().lower() in ("1", "true", "yes", "on")


def open_critical_query(catalog: str, schema: str) -> str:
    return (
        f"SELECT COUNT(*) AS {OPEN_CRITICAL} FROM {catalog}.{schema}.{names.GOLD_EPISODES} "
        "WHERE alert_level = 'CRITICAL' AND ended_at IS NULL"
    )


class Alerting(Construct):
    """Destinations, the open-CRITICAL SQL alert and the notifier's secret scope.

    Attributes: `destinations` (list), `destination_ids` (their ids, for job
    notifications), `critical_alert`, `secret_scope`, `notify_secret` ("scope/key").
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        config: EnvironmentConfig,
        catalog: UnityCatalog,
        warehouse: SqlEndpoint,
        webhook: bool = False,
    ) -> None:
        super().__init__(scope, id_)
        prefix = f"windmill-{config.env}"
        self.secret_scope = SecretScope(self, "notify-scope", name=f"{prefix}-notify")
        self.notify_secret = f"{prefix}-notify/{NOTIFY_SECRET_KEY}"
        self.destinations: list = []
        emails = list(config.notification_emails)
        if emails:
            self.destinations.append(
                NotificationDestination(
                    self,
                    "email",
                    display_name=f"{prefix} alerts (email)",
                    config=NotificationDestinationConfigA(
                        email=NotificationDestinationConfigEmail(addresses=emails)
                    ),
                )
            )
        if webhook:
            url = core.TerraformVariable(
                self,
                WEBHOOK_VARIABLE,
                type="string",
                sensitive=True,
                description="Webhook URL of the alert destination (TF_VAR_notify_webhook_url)",
            )
            url.override_logical_id(WEBHOOK_VARIABLE)
            self.destinations.append(
                NotificationDestination(
                    self,
                    "webhook",
                    display_name=f"{prefix} alerts (webhook)",
                    config=NotificationDestinationConfigA(
                        generic_webhook=NotificationDestinationConfigGenericWebhook(
                            url=url.string_value
                        )
                    ),
                )
            )
        self.destination_ids: list[str] = [d.id for d in self.destinations]
        subscriptions = [
            AlertV2EvaluationNotificationSubscriptions(destination_id=i)
            for i in self.destination_ids
        ]
        if not self.destination_ids:  # no destination: mail the people directly
            subscriptions = [
                AlertV2EvaluationNotificationSubscriptions(user_email=e) for e in emails
            ]
        self.critical_alert = AlertV2(
            self,
            "open-critical",
            display_name=f"{prefix}: open CRITICAL fault episodes",
            query_text=open_critical_query(catalog.catalog_name, catalog.schema_name),
            warehouse_id=warehouse.id,
            evaluation=AlertV2Evaluation(
                source=AlertV2EvaluationSource(name=OPEN_CRITICAL),
                comparison_operator="GREATER_THAN",
                threshold=AlertV2EvaluationThreshold(
                    value=AlertV2EvaluationThresholdValue(double_value=0)
                ),
                empty_result_state="OK",
                notification=AlertV2EvaluationNotification(
                    notify_on_ok=True, subscriptions=subscriptions or None
                ),
            ),
            schedule=AlertV2Schedule(quartz_cron_schedule=ALERT_CRON, timezone_id="UTC"),
        )


# What the App's alert desk does on Databricks: read the notifications (outbox) and
# record acks and silences. The notifier job creates the tables it owns (and `windmill
# deploy` creates them before the grants: a grant on a missing table fails).
ALERT_DESK_PRIVILEGES = {ALERT_OUTBOX: ["SELECT"], ALERT_ACTIONS: ["SELECT", "MODIFY"]}


class AlertDeskAccess(Construct):
    """The App's service principal on the alert tables, and nothing more: SELECT on
    `alert_outbox`, SELECT and MODIFY (insert) on `alert_actions`. USE CATALOG/SCHEMA come
    from GoldReadAccess beside it. Attribute: `table_grants` (table name -> grant)."""

    def __init__(
        self, scope: Construct, id_: str, *, catalog: str, schema: str, principal: str
    ) -> None:
        super().__init__(scope, id_)
        self.table_grants = {
            table: Grant(
                self,
                table,
                table=f"{catalog}.{schema}.{table}",
                principal=principal,
                privileges=privileges,
            )
            for table, privileges in ALERT_DESK_PRIVILEGES.items()
        }
