"""Compute: runtime and node type chosen by data sources, the all-purpose cluster,
and the job-cluster spec the jobs share."""

from __future__ import annotations

from constructs import Construct

from infra.cdk import (
    Cluster,
    DataDatabricksCurrentUser,
    DataDatabricksNodeType,
    DataDatabricksSparkVersion,
    JobJobCluster,
    JobJobClusterNewCluster,
)
from infra.config import EnvironmentConfig

PHOTON = "PHOTON"
SINGLE_USER = "SINGLE_USER"


class Compute(Construct):
    """Photon, single-user compute for the deploying user.

    Attributes: `current_user`, `spark_version`, `node_type` (data sources) and
    `cluster` (the all-purpose cluster).
    """

    def __init__(self, scope: Construct, id_: str, *, config: EnvironmentConfig) -> None:
        super().__init__(scope, id_)
        self.config = config
        self.current_user = DataDatabricksCurrentUser(self, "me")
        self.spark_version = DataDatabricksSparkVersion(
            self,
            "runtime",
            long_term_support=config.spark_version.long_term_support,
            latest=config.spark_version.latest,
            scala=config.spark_version.scala,
            spark_version=config.spark_version.spark_version,
        )
        self.node_type = DataDatabricksNodeType(
            self,
            "node",
            local_disk=config.node_type.local_disk,
            min_cores=config.node_type.min_cores or None,
            min_memory_gb=config.node_type.min_memory_gb or None,
        )
        self.cluster = Cluster(
            self,
            "cluster",
            cluster_name=f"windmill-{config.env}-cluster",
            spark_version=self.spark_version.id,
            node_type_id=self.node_type.id,
            num_workers=config.cluster_workers,
            runtime_engine=PHOTON,
            data_security_mode=SINGLE_USER,
            single_user_name=self.current_user.user_name,
            autotermination_minutes=config.autotermination_minutes,
            custom_tags={"project": "windmill", "environment": config.env},
        )

    def job_cluster(self, key: str) -> JobJobCluster:
        """A Photon single-user job cluster for the jobs (same runtime and node type)."""
        return JobJobCluster(
            job_cluster_key=key,
            new_cluster=JobJobClusterNewCluster(
                spark_version=self.spark_version.id,
                node_type_id=self.node_type.id,
                num_workers=self.config.cluster_workers,
                runtime_engine=PHOTON,
                data_security_mode=SINGLE_USER,
                single_user_name=self.current_user.user_name,
                custom_tags={"project": "windmill", "environment": self.config.env},
            ),
        )
