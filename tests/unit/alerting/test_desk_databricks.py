"""The App's alert desk on Databricks: POST /api/alerts/* records in `alert_actions`
through the SQL warehouse (real SDK, fake workspace running the SQL in DuckDB), the
actor from X-Forwarded-Email; the notifier reading the same table stops repeating."""

from __future__ import annotations

import json

from tornado.testing import AsyncHTTPTestCase
from tornado.web import Application

from dashboard.api import AlertDeskApi, alert_patterns
from dashboard.databricks import DatabricksGoldSource
from tests.fakes.workspace import DuckDbWarehouse, FakeWorkspace
from tests.unit.alerting.helpers import T0
from workloads.alerting.delta import ALERT_ACTIONS

CATALOG, SCHEMA = "main", "windmill"


def seed_episodes(engine: DuckDbWarehouse) -> None:
    engine.execute(
        f"CREATE TABLE `{CATALOG}`.`{SCHEMA}`.gold_fault_episodes (turbine_id STRING,"
        " fault_code STRING, alert_level STRING, started_at TIMESTAMP, last_seen_at TIMESTAMP,"
        " ended_at TIMESTAMP, readings BIGINT, peak_value DOUBLE)",
        [],
    )
    engine.execute(
        f"INSERT INTO `{CATALOG}`.`{SCHEMA}`.gold_fault_episodes VALUES ('TURBINE_00001',"
        " 'GEARBOX_OVERHEAT', 'CRITICAL', :t, :t, NULL, 3, 91.5)",
        [{"name": "t", "value": T0.isoformat(), "type": "STRING"}],
    )


class TestDatabricksDesk(AsyncHTTPTestCase):
    def get_app(self) -> Application:
        from databricks.sdk import WorkspaceClient

        self.ws = FakeWorkspace()
        self.ws.sql_engine = DuckDbWarehouse()
        self.ws.start()
        seed_episodes(self.ws.sql_engine)
        client = WorkspaceClient(host=self.ws.url, token="fake", auth_type="pat")
        self.source = DatabricksGoldSource(client, "w-1", CATALOG, SCHEMA)
        api = AlertDeskApi.for_gold_source(self.source)
        assert api is not None and api.databricks
        api.desk.store.create_tables()  # deploy creates them (see the report)
        self.api = api
        return Application(alert_patterns(api))

    def tearDown(self) -> None:
        super().tearDown()
        self.ws.stop()

    def post(self, action, body, **headers):
        response = self.fetch(
            f"/api/alerts/{action}",
            method="POST",
            body=json.dumps(body),
            headers={"Content-Type": "application/json", **headers},
        )
        return response.code, json.loads(response.body or b"{}")

    def test_ack_is_recorded_in_delta_with_the_signed_in_user(self):
        ack = {"turbine_id": "TURBINE_00001", "fault_code": "GEARBOX_OVERHEAT", "by": "mallory"}
        code, body = self.post("ack", ack, **{"X-Forwarded-Email": "ana@example.com"})
        assert code == 200, body
        assert body["action"]["actor"] == "ana@example.com"  # never the body's "by"
        assert body["action"]["episode_started_at"] == T0.isoformat()
        rows = self.ws.sql_engine.execute(
            f'SELECT action, actor, turbine_id FROM "{SCHEMA}".{ALERT_ACTIONS}', []
        )
        assert rows.to_dict(orient="records") == [
            {"action": "ack", "actor": "ana@example.com", "turbine_id": "TURBINE_00001"}
        ]
        # What the notifier job reads: the same table, through its own store.
        from workloads.alerting.actions import ActionState

        state = ActionState.from_actions(self.api.desk.store.actions(), T0)
        assert state.is_acked("TURBINE_00001", "GEARBOX_OVERHEAT", T0.isoformat())
        listing = json.loads(self.fetch("/api/alerts/list").body)
        assert [o["acked_by"] for o in listing["open"]] == ["ana@example.com"]

    def test_without_the_user_header_nothing_is_recorded(self):
        code, body = self.post("silence", {"turbine_id": "TURBINE_00001", "duration": "2h"})
        assert code == 401 and "X-Forwarded-Email" in body["error"]
        assert self.api.desk.store.actions() == []

    def test_silence_then_unsilence_and_bad_input_is_one_clear_error(self):
        who = {"X-Forwarded-Email": "ops@example.com"}
        reason = "<script>x</script>'; DROP TABLE t; --"
        code, body = self.post(
            "silence", {"turbine_id": "TURBINE_00001", "duration": "2h", "reason": reason}, **who
        )
        assert code == 200 and body["action"]["reason"] == reason
        assert self.post("unsilence", {"turbine_id": "TURBINE_00001"}, **who)[0] == 200
        code, body = self.post("silence", {"turbine_id": "x'--", "duration": "2h"}, **who)
        assert code == 400 and "turbine_id" in body["error"]
        assert [r["action"] for r in self.api.desk.store.actions()] == ["silence", "unsilence"]
        assert all("DROP" not in s["statement"] for s in self.ws.statements)

    def test_the_cards_buttons_record_nothing_without_a_signed_in_user(self):
        from dashboard.alerts_panel import AlertsPanel, Feed

        card = AlertsPanel(Feed(self.api.desk, databricks=True))
        assert card.choice.options  # the open episode read through the warehouse
        card.choice.value = ("TURBINE_00001", "GEARBOX_OVERHEAT")
        card.act("ack")
        assert "no signed-in user" in card.message.object
        assert self.api.desk.store.actions() == []
