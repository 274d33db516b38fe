"""The alert desk: acknowledge, silence, unsilence and look, for every front end.

`windmill alerts`, the dashboard's POST /api/alerts/* and its buttons all call one
`AlertDesk` (a store plus a way to read the episodes), so they validate, record and
show the same way. The actor is the caller's business (OS user / `--by` locally, the
Databricks Apps user header in the app); the desk checks it is well-formed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from workloads import names
from workloads.alerting import actions
from workloads.alerting.overview import open_episodes, overview
from workloads.alerting.store import AlertStore
from workloads.config import Paths


class AlertDesk:
    def __init__(
        self,
        store: AlertStore,
        read_episodes: Callable[[], Any],
        read_sla: Callable[[], Any] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.read_episodes = read_episodes
        self.read_sla = read_sla or (lambda: None)
        self.clock = clock

    @classmethod
    def local(cls, paths: Paths) -> AlertDesk:
        from workloads import storage

        return cls(
            AlertStore.for_home(paths),
            lambda: storage.read_table(paths, names.GOLD_EPISODES),
            lambda: storage.read_table(paths, names.GOLD_SLA),
        )

    @classmethod
    def databricks(cls, gold_source) -> AlertDesk:
        """The App's desk: the Delta alert tables and the episodes through the dashboard's
        SQL warehouse source (`dashboard.databricks.DatabricksGoldSource`), whose client
        is the App's service principal."""
        from workloads.alerting.delta import DeltaAlertStore
        from workloads.alerting.warehouse import warehouse_runner

        prefix = gold_source.prefix
        run = warehouse_runner(gold_source.client, gold_source.warehouse_id)
        return cls(
            DeltaAlertStore(run, prefix),
            lambda: gold_source.query(
                f"SELECT * FROM {prefix}.{names.GOLD_EPISODES} WHERE ended_at IS NULL",
                missing_ok=True,
            ),
            lambda: gold_source.query(f"SELECT * FROM {prefix}.{names.GOLD_SLA}", missing_ok=True),
        )

    def ack(self, turbine_id: Any, fault_code: Any, actor: str) -> dict[str, Any]:
        episodes = open_episodes(self.read_episodes())
        return actions.acknowledge(
            self.store, episodes, turbine_id, fault_code, actor, self.clock()
        )

    def silence(
        self, turbine_id: Any, duration: Any, actor: str, reason: Any = None
    ) -> dict[str, Any]:
        return actions.silence(self.store, turbine_id, duration, actor, self.clock(), reason)

    def unsilence(self, turbine_id: Any, actor: str) -> dict[str, Any]:
        return actions.unsilence(self.store, turbine_id, actor, self.clock())

    def overview(self, limit: int = 100) -> dict[str, Any]:
        return overview(self.read_episodes(), self.store, self.clock(), limit)

    def sla(self):
        """gold_sla_daily as pandas (None until the notifier wrote it)."""
        return self.read_sla()
