"""The Lakeflow Declarative Pipeline over the uploaded dataset files."""

from __future__ import annotations

from constructs import Construct

from infra.catalog import UnityCatalog
from infra.cdk import (
    Pipeline,
    PipelineCluster,
    PipelineClusterAutoscale,
    PipelineEnvironment,
    PipelineLibrary,
    PipelineLibraryFile,
    PipelineNotification,
)
from infra.code import CodeArtifacts
from infra.compute import Compute
from infra.config import EnvironmentConfig
from workloads.names import PIPELINE_NAME
from workloads.pipeline.settings import pipeline_configuration

FAILURE_ALERTS = ["on-update-failure", "on-update-fatal-failure", "on-flow-failure"]


class MedallionPipeline(Construct):
    """Bronze → silver → gold, publishing into the windmill schema.

    The dataset files import `workloads.pipeline.transforms`, so the pipeline's
    environment installs the project wheel. Attribute: `pipeline`.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        config: EnvironmentConfig,
        catalog: UnityCatalog,
        code: CodeArtifacts,
        compute: Compute,
    ) -> None:
        super().__init__(scope, id_)
        cluster = None
        if not config.serverless_pipeline:
            autoscale = None
            if config.pipeline_max_workers is not None:
                autoscale = PipelineClusterAutoscale(
                    min_workers=config.pipeline_min_workers,
                    max_workers=config.pipeline_max_workers,
                    mode="ENHANCED",
                )
            cluster = [
                PipelineCluster(
                    label="default",
                    node_type_id=compute.node_type.id,
                    num_workers=None if autoscale else config.cluster_workers,
                    autoscale=autoscale,
                    custom_tags={"project": "windmill", "environment": config.env},
                )
            ]
        notification = None
        if config.notification_emails:
            notification = [
                PipelineNotification(
                    email_recipients=list(config.notification_emails), alerts=FAILURE_ALERTS
                )
            ]
        self.pipeline = Pipeline(
            self,
            "pipeline",
            name=PIPELINE_NAME,
            catalog=catalog.catalog_name,
            schema=catalog.schema_name,
            library=[
                PipelineLibrary(file=PipelineLibraryFile(path=f.workspace_path))
                for f in code.pipeline_files
            ],
            environment=PipelineEnvironment(dependencies=[code.wheel_path]),
            configuration={
                **pipeline_configuration(catalog.landing_path, **dict(config.pipeline_overrides)),
                **config.pipeline_spark_conf,
            },
            serverless=config.serverless_pipeline or None,
            photon=None if config.serverless_pipeline else True,
            edition=None if config.serverless_pipeline else "ADVANCED",
            cluster=cluster,
            channel="CURRENT",
            continuous=False,
            development=config.development,
            notification=notification,
            depends_on=[code.wheel],
        )
