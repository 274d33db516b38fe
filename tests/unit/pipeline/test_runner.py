"""Runner helpers that need no engine: commit logs, landing listing, the spec."""

import json

import pytest

from workloads import storage
from workloads.config import LOCAL_DATABASE, PIPELINE_DATABASE, Paths
from workloads.engine import runner
from workloads.names import PIPELINE_TABLES
from workloads.pipeline.settings import DATASET_FILES, transformations_dir

pytestmark = pytest.mark.unit


def write_log(folder, batch: str, entries: list[dict]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["v1", *(json.dumps(e) for e in entries)]
    (folder / batch).write_text("\n".join(lines) + "\n")


def test_committed_files_follow_the_compacted_log_and_ignore_orphans(tmp_path):
    log = tmp_path / "table" / "_spark_metadata"
    write_log(log, "8", [{"path": "file:///t/old.parquet", "action": "add"}])
    write_log(log, "9.compact", [{"path": f"file:///t/{n}.parquet", "action": "add"} for n in "ab"])
    write_log(log, "10", [{"path": "file:///t/c.parquet", "action": "add"}])
    (tmp_path / "table" / "orphan-of-a-killed-batch.parquet").write_bytes(b"")
    assert storage.committed_files(tmp_path / "table") == {
        "file:///t/a.parquet",
        "file:///t/b.parquet",
        "file:///t/c.parquet",
    }
    assert storage.committed_files(tmp_path / "missing") == set()


def test_landing_listing_skips_temporary_files(tmp_path):
    paths = Paths(tmp_path)
    paths.landing.mkdir(parents=True)
    for name in ("a.jsonl", ".b.jsonl.tmp", "_c.jsonl", "notes.txt"):
        (paths.landing / name).write_text("")
    assert runner.landing_files(paths) == {"a.jsonl"}
    assert runner.landing_files(paths) - {"a.jsonl"} == set()
    assert runner.landing_files(Paths(tmp_path / "none")) == set()


def test_spec_puts_storage_under_home_and_lists_every_dataset(tmp_path):
    spec = runner.pipeline_spec(Paths(tmp_path), {"dedup_window_hours": 6})
    assert spec.storage.startswith("file:///") and spec.storage.endswith("/pipeline")
    # The pipeline writes its own database; readers use "windmill" (published versions).
    assert spec.database == PIPELINE_DATABASE == "windmill_pipeline"
    assert LOCAL_DATABASE == "windmill"
    assert spec.configuration["windmill.landing_path"].endswith("landing/raw_sensor_data")
    assert spec.configuration["windmill.dedup_window_hours"] == "6"
    assert len(spec.libraries) == len(DATASET_FILES)
    listed = [lib.include.removesuffix(".py") for lib in spec.libraries]
    # Every dataset file, the pipeline's tables first in medallion order, then any others.
    assert set(listed) == {path.stem for path in transformations_dir().glob("[!_]*.py")}
    known = [name for name in listed if name in PIPELINE_TABLES]
    assert listed[: len(known)] == known == [t for t in PIPELINE_TABLES if t in listed]
    assert listed[:3] == ["bronze_sensor_data", "silver_sensor_data", "silver_quarantine"]
