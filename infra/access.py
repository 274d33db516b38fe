"""Read access for the App's service principal to the tables the dashboard reads, and
nothing more."""

from __future__ import annotations

from constructs import Construct

from infra.cdk import Grant
from workloads.names import DASHBOARD_TABLES


class GoldReadAccess(Construct):
    """USE CATALOG, USE SCHEMA and SELECT on each table of `workloads.names.DASHBOARD_TABLES`
    (the four pipeline gold tables, gold_dispatch_plan and silver_sensor_data) for one
    principal, so the App's grants and the dashboard's reads cannot drift apart.

    `databricks_grant` (not the authoritative `databricks_grants`) adds these without
    touching anyone else's privileges on the shared catalog. A grant fails on a table that
    does not exist, so `windmill deploy` applies this after the pipeline's first update
    and after creating the (empty) dispatch plan table. Attributes: `catalog_grant` (None
    when the catalog already grants USE to everyone), `schema_grant`, `table_grants`
    (table name -> grant).
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        catalog: str,
        schema: str,
        principal: str,
        grant_catalog_use: bool = True,
    ) -> None:
        super().__init__(scope, id_)
        self.catalog_grant: Grant | None = None
        if grant_catalog_use:
            self.catalog_grant = Grant(
                self, "catalog", catalog=catalog, principal=principal, privileges=["USE_CATALOG"]
            )
        self.schema_grant = Grant(
            self,
            "schema",
            schema=f"{catalog}.{schema}",
            principal=principal,
            privileges=["USE_SCHEMA"],
        )
        self.table_grants = {
            table: Grant(
                self,
                table,
                table=f"{catalog}.{schema}.{table}",
                principal=principal,
                privileges=["SELECT"],
            )
            for table in DASHBOARD_TABLES
        }
