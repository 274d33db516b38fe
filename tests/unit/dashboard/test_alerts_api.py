"""POST /api/alerts/ack|silence|unsilence and GET /api/alerts/list (tornado, no Panel)."""

from __future__ import annotations

import json

from tornado.testing import AsyncHTTPTestCase
from tornado.web import Application

from dashboard.api import AlertDeskApi, alert_patterns
from tests.unit.alerting.helpers import T0, Recorder, episode, frame
from workloads.alerting.desk import AlertDesk
from workloads.alerting.notifier import Notifier, NotifierConfig
from workloads.alerting.store import AlertStore

SECRET_URL = "https://bob:hunter2-secret@hooks.example.com/T1/B2/AbCdEfGhIjKlMnOpQrSt"


class _Desk(AsyncHTTPTestCase):
    databricks = False

    def get_app(self) -> Application:
        import tempfile
        from pathlib import Path

        self.folder = Path(tempfile.mkdtemp(prefix="windmill-alerts-api-"))
        self.store = AlertStore(self.folder / "alerting.sqlite")
        rows = frame(episode("TURBINE_00001"), episode("TURBINE_00002", "TOWER_LEAN"))
        # One notification to a channel whose URL holds secrets.
        Notifier(
            self.store,
            [Recorder(SECRET_URL)],
            lambda: rows,
            lambda _t: "Whitelee",
            NotifierConfig(group_wait_s=0),
        ).step(T0)
        desk = AlertDesk(self.store, lambda: rows, clock=lambda: T0)
        return Application(alert_patterns(AlertDeskApi(desk, databricks=self.databricks)))

    def tearDown(self) -> None:
        import shutil

        super().tearDown()
        shutil.rmtree(self.folder, ignore_errors=True)

    def post(self, action, body, content_type="application/json", **headers):
        data = body if isinstance(body, str) else json.dumps(body)
        response = self.fetch(
            f"/api/alerts/{action}",
            method="POST",
            body=data,
            headers={"Content-Type": content_type, **headers},
        )
        return response.code, json.loads(response.body or b"{}")


class TestLocal(_Desk):
    def test_ack_records_who_and_when(self):
        code, body = self.post(
            "ack", {"turbine_id": "TURBINE_00001", "fault_code": "GEARBOX_OVERHEAT", "by": "ana"}
        )
        assert code == 200
        assert body["action"]["actor"] == "ana" and body["action"]["at"] == T0.isoformat()
        listing = json.loads(self.fetch("/api/alerts/list").body)
        (acked,) = [o for o in listing["open"] if o["acked_by"]]
        assert acked["turbine_id"] == "TURBINE_00001"

    def test_silence_and_unsilence(self):
        code, body = self.post(
            "silence", {"turbine_id": "TURBINE_00002", "duration": "2h", "reason": "<b>crane</b>"}
        )
        assert code == 200 and body["action"]["until"] == "2026-03-01T14:00:00+00:00"
        listing = json.loads(self.fetch("/api/alerts/list").body)
        assert listing["silences"][0]["reason"] == "<b>crane</b>"  # data; the panel escapes it
        assert self.post("unsilence", {"turbine_id": "TURBINE_00002"})[0] == 200

    def test_a_form_post_or_wrong_content_type_is_refused_without_effect(self):
        code, body = self.post(
            "ack",
            "turbine_id=TURBINE_00001&fault_code=GEARBOX_OVERHEAT",
            content_type="application/x-www-form-urlencoded",
        )
        assert code == 415 and "JSON" in body["error"]
        assert self.post("ack", "[1, 2]")[0] == 400
        assert self.post("ack", "{not json")[0] == 400
        assert self.store.actions() == []

    def test_get_has_no_side_effects(self):
        assert (
            self.fetch("/api/alerts/ack?turbine_id=TURBINE_00001&fault_code=GEARBOX_OVERHEAT").code
            == 405
        )
        assert self.store.actions() == []

    def test_a_cross_site_origin_is_refused(self):
        code, _ = self.post(
            "ack",
            {"turbine_id": "TURBINE_00001", "fault_code": "GEARBOX_OVERHEAT"},
            Origin="https://evil.example.com",
        )
        assert code == 403 and self.store.actions() == []

    def test_bad_input_is_one_clear_error(self):
        code, body = self.post("ack", {"turbine_id": "<script>", "fault_code": "GEARBOX_OVERHEAT"})
        assert code == 400 and "turbine_id" in body["error"]
        code, body = self.post(
            "ack", {"turbine_id": "TURBINE_00009", "fault_code": "GEARBOX_OVERHEAT"}
        )
        assert code == 400 and "no open GEARBOX_OVERHEAT episode" in body["error"]
        assert self.post("silence", {"turbine_id": "TURBINE_00001", "duration": "ever"})[0] == 400

    def test_the_list_never_shows_a_channel_secret(self):
        raw = self.fetch("/api/alerts/list").body.decode()
        assert "hunter2" not in raw and "AbCdEfGhIjKlMnOpQrSt" not in raw and "bob" not in raw
        assert "hooks.example.com" in raw


class TestDatabricks(_Desk):
    databricks = True

    def test_the_actor_is_the_apps_user_header(self):
        ack = {"turbine_id": "TURBINE_00001", "fault_code": "GEARBOX_OVERHEAT", "by": "spoofed"}
        assert self.post("ack", ack)[0] == 401
        code, body = self.post("ack", ack, **{"X-Forwarded-Email": "ana@example.com"})
        assert code == 200 and body["action"]["actor"] == "ana@example.com"
