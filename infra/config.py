"""Typed per-environment configuration of the Databricks deployment.

Values come, in increasing precedence, from the defaults below, the `windmill`
context in `cdktf.json` (`context.windmill.<env>`) and `WINDMILL_*` environment
variables. Nothing here is a credential: authentication is the Databricks profile
(or the `DATABRICKS_*` environment), resolved by the provider and the SDK.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from workloads.errors import WindmillError
from workloads.generator.generate import GeneratorConfig
from workloads.pipeline.settings import pipeline_configuration, settings_from

REPO_ROOT = Path(__file__).resolve().parent.parent
CDKTF_JSON = REPO_ROOT / "cdktf.json"
ENVIRONMENTS: tuple[str, ...] = ("dev", "prod", "large")
# What `cdktf synth` builds when WINDMILL_ENV names none. "large" (sized for a
# 100,000-turbine fleet, see README "Scale") is built only when asked for by name, so no
# plain synth or deploy ever plans its clusters by accident.
DEFAULT_ENVIRONMENTS: tuple[str, ...] = ("dev", "prod")
# The App resource name of the SQL warehouse (app.yaml refers to it with `valueFrom`).
WAREHOUSE_RESOURCE = "sql-warehouse"


@dataclass(frozen=True)
class SparkVersionSelection:
    """How the `databricks_spark_version` data source picks the runtime (no hard-coded names).

    The latest LTS runtime of the Apache Spark line `spark_version` built for `scala`:
    today 17.3 LTS (Spark 4.0.0, Scala 2.13 only, Python 3.12), which satisfies the
    wheel's Requires-Python. The data source's `photon` filter is not used: it keeps only
    `-photon-` runtime keys, which exist for 13.3 LTS and older; Photon comes from the
    clusters' `runtime_engine = "PHOTON"`. The Spark line is pinned so that a later LTS
    with a newer Python than the wheel allows is a deliberate change, not a surprise.
    """

    long_term_support: bool = True
    latest: bool = True
    scala: str = "2.13"
    spark_version: str = "4.0"


@dataclass(frozen=True)
class NodeTypeSelection:
    """How the `databricks_node_type` data source picks the VM (smallest that qualifies)."""

    local_disk: bool = True
    min_cores: int = 0
    min_memory_gb: int = 0


def _generator_default(name: str) -> Any:
    """A field default of `GeneratorConfig`, the one home of the generator's defaults."""
    return next(f.default for f in fields(GeneratorConfig) if f.name == name)


@dataclass(frozen=True)
class GeneratorDefaults:
    """The generator job's parameters; by default those of a plain `windmill generate`."""

    records_per_batch: int = _generator_default("records_per_batch")
    batch_interval: float = _generator_default("batch_interval")
    max_iterations: int = _generator_default("max_iterations")
    turbines: int = _generator_default("turbines")


@dataclass(frozen=True)
class EnvironmentConfig:
    """Everything one environment (dev or prod) needs to be synthesized.

    `schema=None` means "the deploying user's name": the stack reads it from the
    `databricks_current_user` data source at plan time, so synthesis needs no login.
    """

    env: str
    profile: str | None = None
    catalog: str = "users"
    schema: str | None = None
    # False when the schema already exists (e.g. a per-user schema of `users`):
    # the stack then only references it instead of creating and owning it.
    manage_schema: bool = True
    serverless_pipeline: bool = True
    serverless_jobs: bool = False
    spark_version: SparkVersionSelection = field(default_factory=SparkVersionSelection)
    node_type: NodeTypeSelection = field(default_factory=NodeTypeSelection)
    cluster_workers: int = 1
    # The classic pipeline's cluster: `cluster_workers` fixed, or with both set, enhanced
    # autoscaling between these worker counts (ignored when the pipeline is serverless).
    pipeline_min_workers: int | None = None
    pipeline_max_workers: int | None = None
    # Spark settings of the pipeline (its `configuration`, next to the windmill.* keys),
    # e.g. spark.sql.shuffle.partitions.
    pipeline_spark_conf: Mapping[str, str] = field(default_factory=dict)
    # The pipeline refresh job as a continuous job (unpaused): the pipeline then runs
    # continuously, as Databricks recommends over the pipeline's own continuous mode.
    pipeline_continuous: bool = False
    autotermination_minutes: int = 30
    notification_emails: tuple[str, ...] = ()
    warehouse_size: str = "2X-Small"
    warehouse_auto_stop_minutes: int = 10
    app_users_group: str | None = "users"
    # Grant USE CATALOG to the App; turn off where the catalog already grants it to all
    # users and the deploying user may not grant on it.
    grant_catalog_use: bool = True
    generator: GeneratorDefaults = field(default_factory=GeneratorDefaults)
    pipeline_overrides: Mapping[str, str] = field(default_factory=dict)

    @property
    def development(self) -> bool:
        """Lakeflow development mode: on in dev (clusters reused, no retries)."""
        return self.env == "dev"

    @property
    def stack_name(self) -> str:
        return f"windmill-{self.env}"

    @property
    def access_stack_name(self) -> str:
        return f"windmill-{self.env}-access"


# Defaults per environment before cdktf.json and the environment variables apply.
BASE: dict[str, EnvironmentConfig] = {
    "dev": EnvironmentConfig(env="dev", serverless_pipeline=True, serverless_jobs=False),
    "prod": EnvironmentConfig(
        env="prod", serverless_pipeline=False, serverless_jobs=False, autotermination_minutes=60
    ),
    # Production settings; the sizing for a large fleet is in cdktf.json's context.
    "large": EnvironmentConfig(
        env="large", serverless_pipeline=False, serverless_jobs=False, autotermination_minutes=60
    ),
}

_NESTED = {
    "spark_version": SparkVersionSelection,
    "node_type": NodeTypeSelection,
    "generator": GeneratorDefaults,
}


def read_context(path: Path = CDKTF_JSON) -> dict[str, Any]:
    """The `windmill` context from cdktf.json ({} when the file or key is absent)."""
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except json.JSONDecodeError as exc:
        raise WindmillError(f"{path} is not valid JSON ({exc}); fix it and retry.") from exc
    return dict(data.get("context", {}).get("windmill", {}))


def _bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise WindmillError(f"{name} must be true or false, not {raw!r}.")


def _from_environ(environ: Mapping[str, str]) -> dict[str, Any]:
    """Overrides from WINDMILL_* variables (the deploy command sets WINDMILL_PROFILE)."""
    values: dict[str, Any] = {}
    text_vars = {
        "WINDMILL_PROFILE": "profile",
        "WINDMILL_CATALOG": "catalog",
        "WINDMILL_SCHEMA": "schema",
        "WINDMILL_WAREHOUSE_SIZE": "warehouse_size",
    }
    for var, key in text_vars.items():
        if environ.get(var):
            values[key] = environ[var]
    for var, key in {
        "WINDMILL_SERVERLESS_PIPELINE": "serverless_pipeline",
        "WINDMILL_SERVERLESS_JOBS": "serverless_jobs",
        "WINDMILL_MANAGE_SCHEMA": "manage_schema",
        "WINDMILL_GRANT_CATALOG_USE": "grant_catalog_use",
    }.items():
        if environ.get(var):
            values[key] = _bool(var, environ[var])
    if "WINDMILL_NOTIFY_EMAILS" in environ:
        values["notification_emails"] = tuple(
            e.strip() for e in environ["WINDMILL_NOTIFY_EMAILS"].split(",") if e.strip()
        )
    return values


def _strings(mapping: Mapping[Any, Any]) -> dict[str, str]:
    """A cdktf.json mapping as the str -> str map a pipeline configuration is."""
    return {str(k): str(v) for k, v in dict(mapping).items()}


def _checked_overrides(env: str, overrides: Mapping[str, Any]) -> dict[str, str]:
    """`overrides` (windmill.* keys without the prefix), read the way the pipeline will
    read them, so a wrong key or value fails at synth time, not in the first update."""
    values = _strings(overrides)
    try:
        settings_from(pipeline_configuration("landing", **values).get)
    except (KeyError, ValueError) as exc:
        raise WindmillError(
            f"pipeline_overrides of environment {env!r}: {exc.args[0] if exc.args else exc}"
        ) from exc
    return values


def _apply(config: EnvironmentConfig, values: Mapping[str, Any]) -> EnvironmentConfig:
    known = {f.name for f in fields(EnvironmentConfig)} - {"env"}
    changes: dict[str, Any] = {}
    for key, value in values.items():
        if key not in known:
            raise WindmillError(
                f"Unknown setting {key!r} for environment {config.env!r}; "
                f"use one of: {', '.join(sorted(known))}."
            )
        if key in _NESTED and isinstance(value, Mapping):
            value = replace(getattr(config, key), **value)
        elif key == "notification_emails":
            value = tuple(value)
        elif key == "pipeline_overrides":
            value = _checked_overrides(config.env, value)
        elif key == "pipeline_spark_conf":
            value = _strings(value)
            wrong = sorted(k for k in value if not k.startswith("spark."))
            if wrong:
                raise WindmillError(
                    f"pipeline_spark_conf of environment {config.env!r} takes Spark settings "
                    f"(spark.*), not {', '.join(wrong)}; windmill.* keys go in pipeline_overrides."
                )
        changes[key] = value
    config = replace(config, **changes)
    autoscale = (config.pipeline_min_workers, config.pipeline_max_workers)
    if (None in autoscale and autoscale != (None, None)) or (
        None not in autoscale and not 1 <= autoscale[0] <= autoscale[1]
    ):
        raise WindmillError(
            f"Environment {config.env!r}: set both pipeline_min_workers and "
            f"pipeline_max_workers (1 <= min <= max), or neither; got {autoscale}."
        )
    return config


def load_config(
    env: str,
    context: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> EnvironmentConfig:
    """The configuration of `env`: defaults, then cdktf.json context, then WINDMILL_* vars."""
    if env not in BASE:
        raise WindmillError(f"Unknown environment {env!r}; use one of: {', '.join(ENVIRONMENTS)}.")
    context = read_context() if context is None else context
    environ = os.environ if environ is None else environ
    config = _apply(BASE[env], context.get(env, {}))
    return _apply(config, _from_environ(environ))


def selected_environments(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """Environments to synthesize: WINDMILL_ENV if set (the deploy command sets it), else
    DEFAULT_ENVIRONMENTS."""
    environ = os.environ if environ is None else environ
    chosen = environ.get("WINDMILL_ENV")
    if not chosen:
        return DEFAULT_ENVIRONMENTS
    if chosen not in ENVIRONMENTS:
        raise WindmillError(
            f"WINDMILL_ENV={chosen!r} is not an environment; use one of: {', '.join(ENVIRONMENTS)}."
        )
    return (chosen,)
