"""Unity Catalog: the schema and the two volumes (landing files, build artifacts)."""

from __future__ import annotations

from constructs import Construct

from infra.cdk import Schema, Volume
from workloads.names import RAW_TABLE

LANDING_VOLUME = "landing"
ARTIFACTS_VOLUME = "artifacts"


class UnityCatalog(Construct):
    """The windmill schema with a landing volume and an artifacts volume.

    Attributes: `schema` (None when the schema exists already and is not managed), `landing_volume`, `artifacts_volume`, `catalog_name`,
    `schema_name`, `landing_path` (where the generator writes) and `artifacts_path`.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        catalog: str,
        schema_name: str,
        manage_schema: bool = True,
    ) -> None:
        super().__init__(scope, id_)
        self.schema: Schema | None = None
        self.catalog_name: str = catalog
        self.schema_name: str = schema_name
        if manage_schema:
            self.schema = Schema(
                self,
                "schema",
                catalog_name=catalog,
                name=schema_name,
                comment="Windmill IoT: landing volume, medallion tables, dispatch plan.",
                # Destroy drops the tables the pipeline and jobs created in it.
                force_destroy=True,
            )
            self.catalog_name = self.schema.catalog_name
            self.schema_name = self.schema.name
        self.landing_volume = Volume(
            self,
            "landing",
            catalog_name=self.catalog_name,
            schema_name=self.schema_name,
            name=LANDING_VOLUME,
            volume_type="MANAGED",
            comment="Raw JSON-lines files written by the windmill data generator.",
        )
        self.artifacts_volume = Volume(
            self,
            "artifacts",
            catalog_name=self.catalog_name,
            schema_name=self.schema_name,
            name=ARTIFACTS_VOLUME,
            volume_type="MANAGED",
            comment="Build artifacts of windmill deployments (the project wheel).",
        )
        self.landing_path = f"{self.landing_volume.volume_path}/{RAW_TABLE}"
        self.artifacts_path: str = self.artifacts_volume.volume_path
