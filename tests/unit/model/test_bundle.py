"""The model folder: saved, loaded, and a missing or damaged one is one clear sentence."""

from __future__ import annotations

import lightgbm
import numpy as np
import pandas as pd
import pytest

from workloads.errors import WindmillError
from workloads.model import bundle


def tiny_model():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.random((200, 2)), columns=["a", "b"])
    y = (X["a"] > 0.5).astype(int)
    params = {"objective": "binary", "verbose": -1, "seed": 0, "num_threads": 1}
    return lightgbm.train(params, lightgbm.Dataset(X, y), num_boost_round=5)


def meta(version="v1"):
    return {
        "model_version": version,
        "threshold": 0.3,
        "horizon_hours": 24.0,
        "features": ["a", "b"],
    }


def test_save_points_latest_at_the_newest_version(tmp_path):
    booster = tiny_model()
    bundle.save(tmp_path, booster, meta("v1"), {"x": 1})
    bundle.save(tmp_path, booster, meta("v2"), {"x": 2})
    loaded = bundle.load(tmp_path / bundle.LATEST)
    assert loaded.version == "v2" and loaded.threshold == 0.3 and loaded.feature_names == ["a", "b"]
    assert (tmp_path / "latest" / bundle.EVALUATION_FILE).is_file()


def test_missing_model_is_one_sentence(tmp_path):
    with pytest.raises(
        WindmillError, match=r"^No trained model at .*: run `windmill train` first\.$"
    ):
        bundle.load(tmp_path / "latest")


@pytest.mark.parametrize("damage", ["model", "meta", "features"])
def test_corrupt_model_is_one_sentence(tmp_path, damage):
    folder = bundle.save(tmp_path, tiny_model(), meta(), {})
    if damage == "model":
        (folder / bundle.MODEL_FILE).write_text("tree\nnonsense=1\n")
    elif damage == "meta":
        (folder / bundle.META_FILE).write_text("{")
    else:
        (folder / bundle.META_FILE).write_text(
            '{"model_version": "v1", "threshold": 0.3, "horizon_hours": 24, "features": ["z"]}'
        )
    with pytest.raises(WindmillError) as caught:
        bundle.load(folder)
    message = str(caught.value)
    assert message.startswith(f"The model at {folder} is damaged (")
    assert message.endswith("run `windmill train` again.") and "\n" not in message


def test_the_shipped_bootstrap_model_loads_and_a_home_model_takes_over(tmp_path):
    shipped = bundle.load(bundle.default_folder(tmp_path))
    assert shipped.version.startswith("bootstrap-") and shipped.threshold > 0
    from workloads.model import features

    assert shipped.feature_names == list(features.FEATURE_NAMES)
    bundle.save(bundle.models_dir(tmp_path), tiny_model(), meta("mine"), {})
    assert bundle.load(bundle.default_folder(tmp_path)).version == "mine"
