"""The serverless SQL warehouse the App reads gold tables through (and Genie uses)."""

from __future__ import annotations

from constructs import Construct

from infra.cdk import SqlEndpoint
from infra.config import EnvironmentConfig


class Warehouse(Construct):
    """A small serverless warehouse that stops itself when idle. Attribute: `warehouse`."""

    def __init__(self, scope: Construct, id_: str, *, config: EnvironmentConfig) -> None:
        super().__init__(scope, id_)
        self.warehouse = SqlEndpoint(
            self,
            "warehouse",
            name=f"windmill-{config.env}-warehouse",
            cluster_size=config.warehouse_size,
            warehouse_type="PRO",
            enable_serverless_compute=True,
            auto_stop_mins=config.warehouse_auto_stop_minutes,
            min_num_clusters=1,
            max_num_clusters=1,
            tags={"custom_tags": [{"key": "project", "value": "windmill"}]},
        )
