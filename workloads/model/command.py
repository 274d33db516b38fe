"""`windmill train` and `windmill score`: the failure-risk model's two commands.

- `windmill train [--horizon-hours 24] [--until T]`: train on silver, print the evaluation
  table next to both baselines, save `$WINDMILL_HOME/models/<version>` (`models/latest`) with
  `evaluation.json`, log the run to MLflow (`$WINDMILL_HOME/mlflow`).
- `windmill score [--as-of T] [--model URI]`: write `windmill.gold_turbine_risk`.
- `--catalog/--schema`: the Databricks jobs (the cluster's session, Unity Catalog tables,
  the workspace's MLflow and the UC registry, alias `champion`).

Heavy imports (pyspark, lightgbm, mlflow) happen only when a command runs.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
from pathlib import Path

from workloads.cli_args import non_negative_int, positive_float, utc_timestamp
from workloads.errors import WindmillError
from workloads.names import GOLD_RISK, SILVER

log = logging.getLogger("windmill.model")


def register(subparsers: argparse._SubParsersAction) -> None:

    train = subparsers.add_parser(
        "train",
        help="train the failure-risk model (LightGBM) on silver and log it to MLflow",
        description="Build the features with Spark, split by time and by turbine, train "
        "LightGBM, choose the operating threshold on the training turbines, print the "
        "evaluation against the rules and a threshold-proximity heuristic, save "
        "$WINDMILL_HOME/models/latest (with evaluation.json) and log the run to MLflow.",
    )
    train.add_argument(
        "--horizon-hours",
        type=positive_float,
        default=24.0,
        help="predict an episode starting within this many hours (default 24)",
    )
    train.add_argument(
        "--until",
        type=utc_timestamp,
        metavar="TIME",
        help="train on readings at or before this ISO time only",
    )
    train.add_argument(
        "--seed", type=non_negative_int, default=0, help="split and LightGBM seed (default 0)"
    )
    _workspace_flags(
        train, "train on CATALOG.SCHEMA's silver and register the model in Unity Catalog"
    )
    train.set_defaults(func=run_train)

    score = subparsers.add_parser(
        "score",
        help="score every turbine's failure risk into gold_turbine_risk",
        description="Score each turbine with the trained model from readings at or before "
        "--as-of (default: the latest reading) and write windmill.gold_turbine_risk.",
    )
    score.add_argument(
        "--as-of",
        type=utc_timestamp,
        metavar="TIME",
        help="score as of this ISO time (default: the latest reading)",
    )
    score.add_argument(
        "--model",
        metavar="URI",
        help="a model folder, runs:/RUN_ID or models:/NAME@ALIAS (default: $WINDMILL_HOME/models/latest, else the shipped bootstrap model; on Databricks the champion)",
    )
    _workspace_flags(score, "score CATALOG.SCHEMA's silver into CATALOG.SCHEMA.gold_turbine_risk")
    score.set_defaults(func=run_score)


def _workspace_flags(parser: argparse.ArgumentParser, what: str) -> None:
    from workloads.dispatch.command import identifier

    parser.add_argument(
        "--catalog", type=identifier, help=f"on Databricks: {what} (needs --schema)"
    )
    parser.add_argument("--schema", type=identifier, help="on Databricks: see --catalog")


def _workspace(args) -> str | None:
    if (args.catalog is None) != (args.schema is None):
        raise WindmillError("--catalog and --schema go together; pass both or neither.")
    return None if args.catalog is None else f"{args.catalog}.{args.schema}"


def _silver(spark, prefix: str):
    name = f"{prefix}.{SILVER}"
    if not spark.catalog.tableExists(name):
        raise WindmillError(f"No table {name}: run `windmill pipeline run` first.")
    return spark.table(name)


def _iso(value) -> str | None:
    return None if value is None else value.isoformat()


def run_train(args: argparse.Namespace) -> int:
    from workloads.model import bundle, tracking
    from workloads.model.train import TrainConfig, format_table, train

    prefix = _workspace(args)
    config = TrainConfig(horizon_hours=args.horizon_hours, until=_iso(args.until), seed=args.seed)
    if prefix is not None:
        from pyspark.sql import SparkSession

        spark = SparkSession.builder.getOrCreate()
        result = train(_silver(spark, prefix), config)
        folder = bundle.save(
            Path(tempfile.mkdtemp(prefix="windmill-train-")),
            result.booster,
            result.meta,
            result.evaluation,
        )
        import pandas as pd

        # Unity Catalog needs a signature: one row of the feature columns.
        sample = pd.DataFrame(
            [[0.0] * len(result.meta["features"])], columns=result.meta["features"]
        )
        logged = tracking.log_training(
            folder,
            result.booster,
            _params(result.meta),
            _flat(result.meta),
            "databricks",
            f"{prefix}.{tracking.REGISTERED_MODEL}",
            sample,
        )
    else:
        from workloads.config import LOCAL_DATABASE, ensure_writable
        from workloads.config import paths as home_paths
        from workloads.engine.attach import open_engine

        paths = home_paths()
        ensure_writable(paths.home)
        with open_engine(paths, app_name="windmill-train") as spark:
            result = train(_silver(spark, LOCAL_DATABASE), config)
        folder = bundle.save(
            bundle.models_dir(paths.home), result.booster, result.meta, result.evaluation
        )
        logged = tracking.log_training(
            folder,
            result.booster,
            _params(result.meta),
            _flat(result.meta),
            tracking.local_uri(paths.home),
        )
    from workloads.model.confidence import format_confidence

    print(format_table(result.meta["metrics"], result.meta["baselines"]))
    print(format_confidence(result.meta["confidence"]))
    history = result.meta["history"]
    print(
        f"Model {result.meta['model_version']}: threshold {result.meta['threshold']:.4f}, "
        f"horizon {config.horizon_hours:g} h, {history['turbines']} turbines, "
        f"{history['history_start']} to {history['history_end']}, {history['eval_episodes']} "
        f"evaluation episodes; saved {folder}; MLflow run {logged['run_id']}."
    )
    return 0


def _params(meta: dict) -> dict:
    return {
        "model_version": meta["model_version"],
        "threshold": meta["threshold"],
        "horizon_hours": meta["horizon_hours"],
        **{f"split.{k}": v for k, v in meta["split"].items()},
        **{f"lgb.{k}": v for k, v in meta["lightgbm_params"].items()},
        "rounds": meta["config"]["rounds"],
    }


def _flat(meta: dict) -> dict:
    flat = {f"eval.{k}": v for k, v in meta["metrics"].items()}
    for name, values in meta["baselines"].items():
        flat.update({f"baseline_{name}.{k}": v for k, v in values.items()})
    flat["threshold"] = meta["threshold"]
    return flat


def run_score(args: argparse.Namespace) -> int:
    from workloads import spark_catalog
    from workloads.model import bundle, tracking
    from workloads.model.score import RISK_DDL, latest_reading, risk_rows

    prefix = _workspace(args)
    if prefix is not None:
        from pyspark.sql import SparkSession

        uri = args.model or f"models:/{prefix}.{tracking.REGISTERED_MODEL}@{tracking.ALIAS}"
        model = bundle.load(_local_or_download(uri, "databricks", "databricks-uc"))
        spark = SparkSession.builder.getOrCreate()
        silver = _silver(spark, prefix)
        as_of = args.as_of or latest_reading(silver)
        frame = risk_rows(silver, model, _require(as_of))
        spark_catalog.write_outside_table(
            spark, frame, GOLD_RISK, RISK_DDL, table=f"{prefix}.{GOLD_RISK}"
        )
    else:
        from workloads.config import LOCAL_DATABASE
        from workloads.config import paths as home_paths
        from workloads.engine.attach import open_engine

        paths = home_paths()
        uri = args.model or str(bundle.default_folder(paths.home))
        model = bundle.load(_local_or_download(uri, tracking.local_uri(paths.home)))
        with open_engine(paths, app_name="windmill-score") as spark:
            silver = _silver(spark, LOCAL_DATABASE)
            as_of = args.as_of or latest_reading(silver)
            frame = risk_rows(silver, model, _require(as_of))
            spark_catalog.write_outside_table(spark, frame, GOLD_RISK, RISK_DDL, paths=paths)
    at_risk = int((frame["risk"] >= model.threshold).sum())
    print(
        f"Scored {len(frame)} turbines as of {frame['as_of'].iloc[0].isoformat() if len(frame) else as_of} "
        f"with model {model.version}: {at_risk} at or above the threshold {model.threshold:.4f}, "
        f"{int(frame['in_fault'].sum())} already in fault; wrote {GOLD_RISK}."
    )
    return 0


def _require(as_of):
    if as_of is None:
        raise WindmillError(
            "Silver has no readings to score yet: run `windmill pipeline run` first."
        )
    import pandas as pd

    stamp = pd.Timestamp(as_of)
    return stamp.tz_localize("UTC") if stamp.tz is None else stamp.tz_convert("UTC")


def _local_or_download(uri: str, tracking_uri: str, registry_uri: str | None = None) -> Path:
    from workloads.model import tracking

    if "://" in uri or uri.startswith(("runs:/", "models:/")):
        return tracking.download_bundle(uri, tracking_uri, registry_uri)
    return Path(uri)
