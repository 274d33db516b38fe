"""Read access for the App's service principal to the gold tables, and nothing more."""

from __future__ import annotations

from constructs import Construct

from infra.cdk import Grant
from workloads.names import GOLD_ALERTS, GOLD_FAULTS, GOLD_HOURLY, GOLD_STATUS

# Gold tables the pipeline publishes. The dispatch plan and risk tables appear only
# after their jobs first run, so they are not granted here.
GOLD_TABLES: tuple[str, ...] = (GOLD_STATUS, GOLD_ALERTS, GOLD_HOURLY, GOLD_FAULTS)


class GoldReadAccess(Construct):
    """USE CATALOG, USE SCHEMA and SELECT on each gold table for one principal.

    `databricks_grant` (not the authoritative `databricks_grants`) adds these without
    touching anyone else's privileges on the shared catalog. Attributes:
    `catalog_grant` (None when the catalog already grants USE to everyone), `schema_grant`, `table_grants` (table name -> grant).
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
            for table in GOLD_TABLES
        }
