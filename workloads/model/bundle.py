"""The trained model on disk: one folder per version, `models/latest` pointing at the newest.

A folder holds `model.txt` (LightGBM's own text format), `model.json` (version, trained_at,
threshold, horizon, feature names, metrics) and `evaluation.json` (the replay file). The
same folder is logged to MLflow as the run's `windmill_model` artifacts, so a model read
back from MLflow (`runs:/<id>`, `models:/<name>@champion`) loads exactly like a local one.
`latest` is a symlink swapped in one rename: a reader sees the old model or the new one.

`bootstrap/` (shipped in the package) is a model `windmill train` trained on the generator's
own fleet (its model.json says on what). A home without a model of its own scores with it,
so a first `windmill up` shows risk within minutes, long before it has the week of history
its own training needs; its rows say `model_version` "bootstrap-…".
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from workloads.errors import WindmillError

MODEL_FILE = "model.txt"
META_FILE = "model.json"
EVALUATION_FILE = "evaluation.json"
LATEST = "latest"
BOOTSTRAP = Path(__file__).resolve().parent / "bootstrap"


@dataclass(frozen=True)
class Bundle:
    booster: object  # lightgbm.Booster
    meta: dict
    folder: Path

    @property
    def version(self) -> str:
        return self.meta["model_version"]

    @property
    def threshold(self) -> float:
        return float(self.meta["threshold"])

    @property
    def horizon_hours(self) -> float:
        return float(self.meta["horizon_hours"])

    @property
    def feature_names(self) -> list[str]:
        return list(self.meta["features"])


def models_dir(home: Path) -> Path:
    return Path(home) / "models"


def default_folder(home: Path) -> Path:
    """This home's newest model, else the shipped bootstrap model (if the package has it)."""
    latest = models_dir(home) / LATEST
    if (latest / META_FILE).is_file() or not (BOOTSTRAP / META_FILE).is_file():
        return latest
    return BOOTSTRAP


def save(models: Path, booster, meta: dict, evaluation: dict) -> Path:
    """Write a version folder and point `latest` at it; returns the folder."""
    from workloads.model.evaluation import write_evaluation

    folder = models / meta["model_version"]
    folder.mkdir(parents=True, exist_ok=True)
    booster.save_model(str(folder / MODEL_FILE))
    (folder / META_FILE).write_text(json.dumps(meta, indent=2, default=str))
    write_evaluation(folder / EVALUATION_FILE, evaluation)
    link = models / LATEST
    tmp = models / f".{LATEST}.tmp"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(folder.name, tmp)
    os.replace(tmp, link)
    return folder


def load(folder: Path) -> Bundle:
    """The model in `folder`; one clear WindmillError if it is missing or damaged."""
    import lightgbm

    folder = Path(folder)
    if not (folder / MODEL_FILE).is_file() or not (folder / META_FILE).is_file():
        raise WindmillError(f"No trained model at {folder}: run `windmill train` first.")
    try:
        meta = json.loads((folder / META_FILE).read_text())
        booster = lightgbm.Booster(model_file=str(folder / MODEL_FILE))
        missing = {"model_version", "threshold", "horizon_hours", "features"} - set(meta)
        if missing:
            raise ValueError(f"model.json lacks {', '.join(sorted(missing))}")
        if booster.feature_name() != list(meta["features"]):
            raise ValueError("its features differ from model.json")
    except (OSError, ValueError, lightgbm.basic.LightGBMError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise WindmillError(
            f"The model at {folder} is damaged ({reason}); run `windmill train` again."
        ) from None
    return Bundle(booster, meta, folder)
