"""The Databricks job's store: a local copy written back to the volume after changes."""

from __future__ import annotations

from tests.unit.alerting.helpers import T0
from workloads.alerting.store import AlertStore
from workloads.alerting.workspace import VolumeState


def test_the_store_survives_a_new_run_through_the_volume_file(tmp_path):
    durable = tmp_path / "Volumes" / "notifier" / "alerting.sqlite"
    first = VolumeState(durable)
    store = AlertStore(first.local)
    assert first.save() and not first.save()  # unchanged: no second copy
    store.record_action("silence", "T1", "ops", T0, until=T0)
    assert first.save()
    second = VolumeState(durable)  # the next job run
    assert [a["turbine_id"] for a in AlertStore(second.local).actions()] == ["T1"]
