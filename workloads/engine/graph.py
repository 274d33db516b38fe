"""The pipeline's dataflow graph on the local engine: registered for each update, dropped after.

A graph cannot run twice: the engine keeps each graph's last execution and refuses a
second one ("Pipeline execution for graph ID … already exists"), so every update
registers the dataset files again (`register_graph`) and drops its graph after the run
(`drop_graph`), which would otherwise stay in the engine's memory for its lifetime.
"""

from __future__ import annotations

import contextlib
import io
import logging

from workloads.pipeline import settings as pipeline_settings

log = logging.getLogger(__name__)


def register_graph(spark, spec) -> str:
    """Register the dataset files as one dataflow graph on the engine; returns its id."""
    from pyspark.pipelines.cli import register_definitions
    from pyspark.pipelines.spark_connect_graph_element_registry import (
        SparkConnectGraphElementRegistry,
    )
    from pyspark.pipelines.spark_connect_pipeline import create_dataflow_graph

    # Definitions read the configuration from the session's conf at registration time; a
    # warm engine already holds it from the previous update, so only changes are sent, and
    # the definitions are handed the resulting conf rather than each fetching it.
    current = spark.conf.getAll
    for key, value in spec.configuration.items():
        if current.get(key) != value:
            spark.conf.set(key, value)
    graph_id = create_dataflow_graph(
        spark,
        default_catalog=spec.catalog,
        default_database=spec.database,
        sql_conf=spec.configuration,
    )
    registry = SparkConnectGraphElementRegistry(spark, graph_id)
    chatter = io.StringIO()  # the engine prints a line per file it loads
    with (
        contextlib.redirect_stdout(chatter),
        pipeline_settings.known_conf({**current, **spec.configuration}),
    ):
        register_definitions(
            pipeline_settings.transformations_dir() / "pipeline.yml",
            registry,
            spec,
            spark,
            graph_id,
        )
    log.debug("registered graph %s: %s", graph_id, chatter.getvalue().strip())
    return graph_id


def drop_graph(spark, graph_id: str) -> None:
    """Forget a graph on the engine once its run is over (each update registers its own)."""
    import pyspark.sql.connect.proto as pb2

    command = pb2.Command()
    command.pipeline_command.drop_dataflow_graph.CopyFrom(
        pb2.PipelineCommand.DropDataflowGraph(dataflow_graph_id=graph_id)
    )
    try:
        spark.client.execute_command(command)
    except Exception as exc:  # only memory is at stake
        log.debug("could not drop graph %s: %s", graph_id, type(exc).__name__)
