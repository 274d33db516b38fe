"""MLflow: every training run's parameters, metrics, threshold and model.

Locally the tracking store is a folder, `$WINDMILL_HOME/mlflow` (mlflow-skinny has no
database backend; its file store is in maintenance mode and needs MLFLOW_ALLOW_FILE_STORE,
set here for that store only). On Databricks the workspace tracking server and the Unity
Catalog registry: the model is registered as `<catalog>.<schema>.windmill_turbine_risk`
and the new version gets the alias `champion`, which `windmill score --model
models:/<name>@champion` (the score job) loads.

MLflow is imported only here and only when training or loading from a URI, so the
dashboard and `windmill --help` never pay for it.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

from workloads.errors import WindmillError

EXPERIMENT = "windmill-turbine-risk"
REGISTERED_MODEL = "windmill_turbine_risk"
ALIAS = "champion"
BUNDLE_ARTIFACTS = "windmill_model"
# The logged model's requirements, stated so MLflow does not inspect the environment.
PIP_REQUIREMENTS = ("lightgbm==4.7.0", "numpy", "pandas")

log = logging.getLogger(__name__)


def local_uri(home: Path) -> str:
    return (Path(home) / "mlflow").resolve().as_uri()


def _mlflow(tracking_uri: str | None, registry_uri: str | None = None):
    if tracking_uri and tracking_uri.startswith("file:"):
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    import mlflow

    if tracking_uri:
        mlflow.set_tracking_uri(tracking_uri)
    if registry_uri:
        mlflow.set_registry_uri(registry_uri)
    return mlflow


def log_training(
    folder: Path,
    booster,
    params: dict,
    metrics: dict,
    tracking_uri: str | None,
    registered_name: str | None = None,
    sample=None,
) -> dict:
    """Log one training run; returns {"run_id", "model_uri", "registered_version"}.

    `registered_name` (a Unity Catalog three-part name) registers the model and moves the
    `champion` alias to the new version; `sample` (a few feature rows) gives the signature
    Unity Catalog requires.
    """
    mlflow = _mlflow(tracking_uri, "databricks-uc" if registered_name else None)
    from mlflow import lightgbm as mlflow_lightgbm

    experiment = EXPERIMENT if not registered_name else f"/Shared/{EXPERIMENT}"
    mlflow.set_experiment(experiment)
    with mlflow.start_run(run_name=params.get("model_version")) as run:
        mlflow.log_params({k: v for k, v in params.items() if v is not None})
        mlflow.log_metrics({k: float(v) for k, v in metrics.items() if v is not None})
        signature = None
        if sample is not None:
            from mlflow.models import infer_signature

            signature = infer_signature(sample, booster.predict(sample))
        info = mlflow_lightgbm.log_model(
            booster,
            name="model",
            pip_requirements=list(PIP_REQUIREMENTS),
            signature=signature,
            registered_model_name=registered_name,
        )
        mlflow.log_artifacts(str(folder), BUNDLE_ARTIFACTS)
        version = getattr(info, "registered_model_version", None)
        if registered_name and version is not None:
            mlflow.MlflowClient().set_registered_model_alias(registered_name, ALIAS, str(version))
        return {
            "run_id": run.info.run_id,
            "model_uri": info.model_uri,
            "registered_version": version,
        }


def download_bundle(uri: str, tracking_uri: str | None, registry_uri: str | None = None) -> Path:
    """The model folder of `runs:/<run_id>` or `models:/<name>@<alias>|/<version>`."""
    mlflow = _mlflow(tracking_uri, registry_uri)
    try:
        if uri.startswith("models:/"):
            client = mlflow.MlflowClient()
            name, _, ref = uri.removeprefix("models:/").partition("@")
            if ref:
                run_id = client.get_model_version_by_alias(name, ref).run_id
            else:
                name, _, number = name.rpartition("/")
                run_id = client.get_model_version(name, number).run_id
        elif uri.startswith("runs:/"):
            run_id = uri.removeprefix("runs:/").split("/")[0]
        else:
            raise WindmillError(
                f"--model {uri!r} is not a folder, runs:/RUN_ID or models:/NAME@ALIAS."
            )
        target = Path(tempfile.mkdtemp(prefix="windmill-model-"))
        return Path(
            mlflow.artifacts.download_artifacts(
                run_id=run_id, artifact_path=BUNDLE_ARTIFACTS, dst_path=str(target)
            )
        )
    except WindmillError:
        raise
    except Exception as exc:  # MLflow raises its own and OS errors; the user needs one sentence
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise WindmillError(f"Could not load the model {uri} from MLflow: {first}") from None
