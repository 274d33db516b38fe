"""Local table storage on plain files: publish, read, retention (no JVM)."""

from __future__ import annotations

import json
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from workloads import names, storage
from workloads.config import Paths

pytestmark = pytest.mark.unit
TABLE = names.GOLD_STATUS


@pytest.fixture
def home(tmp_path) -> Paths:
    return Paths(tmp_path / "home")


def rewrite_in_place(paths: Paths, turbines: int) -> None:
    """What the pipeline does to a view's folder on every update: empty it, write anew."""
    folder = paths.table(TABLE)
    for old in storage.data_files(folder):
        old.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    table = pa.table({"turbine_id": [f"TURBINE_{i:05d}" for i in range(1, turbines + 1)]})
    pq.write_table(table, folder / f"part-{turbines:05d}-x.snappy.parquet")
    (folder / "_SUCCESS").write_text("")
    (folder / ".part-x.crc").write_bytes(b"crc")


def test_a_table_does_not_exist_until_its_first_publish(home):
    rewrite_in_place(home, 2)
    assert storage.current_version(home, TABLE) is None
    assert storage.read_table(home, TABLE) is None
    version = storage.publish(home, TABLE, home.table(TABLE))
    assert (version.number, version.rows) == (1, 2)
    assert version.files == ("part-00002-x.snappy.parquet",)  # bookkeeping files not linked
    assert version.folder == home.versions / TABLE / "v000001"
    assert len(storage.read_table(home, TABLE)) == 2


def test_readers_keep_the_published_version_while_the_folder_is_rewritten(home):
    rewrite_in_place(home, 2)
    storage.publish(home, TABLE, home.table(TABLE))
    # The next update empties the folder and writes again: readers still see version 1.
    for old in storage.data_files(home.table(TABLE)):
        old.unlink()
    assert len(storage.read_table(home, TABLE)) == 2
    rewrite_in_place(home, 3)
    assert len(storage.read_table(home, TABLE)) == 2
    version = storage.publish(home, TABLE, home.table(TABLE))
    assert (version.number, version.rows) == (2, 3)
    assert len(storage.read_table(home, TABLE)) == 3
    # Hard links: the version's file is the folder's file, not a copy.
    [source] = storage.data_files(home.table(TABLE))
    assert os.path.samefile(source, version.paths()[0])


def test_the_pointer_names_version_files_and_rows(home):
    rewrite_in_place(home, 4)
    storage.publish(home, TABLE, home.table(TABLE), now=1000.0)
    pointer = json.loads((home.versions / TABLE / "current.json").read_text())
    assert pointer == {
        "table": TABLE,
        "version": 1,
        "folder": "v000001",
        "files": ["part-00004-x.snappy.parquet"],
        "rows": 4,
        "published_at": 1000.0,
    }
    assert not list((home.versions / TABLE).glob(".*tmp"))  # the temporary name is gone


def test_a_version_reserved_by_a_writer_is_published_as_it_is(home):
    folder = storage.new_version_folder(home, names.GOLD_DISPATCH)
    pq.write_table(pa.table({"task_id": ["a", "b", "c"]}), folder / "part-00000.parquet")
    version = storage.publish(home, names.GOLD_DISPATCH, folder)
    assert version.folder == folder and version.rows == 3
    assert storage.new_version_folder(home, names.GOLD_DISPATCH).name == "v000002"


def test_retention_keeps_the_newest_and_recently_superseded_versions(home):
    for turbines in range(1, 7):
        rewrite_in_place(home, turbines)
        storage.publish(home, TABLE, home.table(TABLE))
    root = home.versions / TABLE
    assert sorted(p.name for p in root.glob("v*")) == [f"v{n:06d}" for n in range(1, 7)]
    # Versions 1..3 were superseded just now: a reader may still hold them.
    assert storage.prune(home, TABLE) == []
    # Two minutes later only the newest three remain.
    later = max(p.stat().st_mtime for p in root.glob("v*")) + storage.GRACE_S + 1
    assert storage.prune(home, TABLE, now=later) == [1, 2, 3]
    assert sorted(p.name for p in root.glob("v*")) == ["v000004", "v000005", "v000006"]
    assert len(storage.read_table(home, TABLE)) == 6


def test_a_version_whose_successor_is_recent_is_kept(home):
    for turbines in range(1, 6):
        rewrite_in_place(home, turbines)
        storage.publish(home, TABLE, home.table(TABLE))
    root = home.versions / TABLE
    old = max(p.stat().st_mtime for p in root.glob("v*")) - 10 * storage.GRACE_S
    for n in (1, 2):
        os.utime(root / f"v{n:06d}", (old, old))
    # v1's successor (v2) is old; v2's successor (v3) was published now: v2 stays.
    assert storage.prune(home, TABLE) == [1]


def test_remove_versions_makes_the_table_missing_again(home):
    rewrite_in_place(home, 2)
    storage.publish(home, TABLE, home.table(TABLE))
    storage.remove_versions(home, TABLE)
    assert storage.read_table(home, TABLE) is None


def test_streaming_tables_are_their_commit_logs_files(home):
    folder = home.table(names.SILVER) / "reading_date=2026-01-05"
    folder.mkdir(parents=True)
    committed = folder / "part-00000-a.parquet"
    pq.write_table(pa.table({"turbine_id": ["TURBINE_00001"]}), committed)
    pq.write_table(pa.table({"turbine_id": ["orphan"]}), folder / "part-00001-killed.parquet")
    log = home.table(names.SILVER) / "_spark_metadata"
    log.mkdir()
    (log / "0").write_text("v1\n" + json.dumps({"path": committed.as_uri(), "action": "add"}))
    frame = storage.read_table(home, names.SILVER)
    assert frame["turbine_id"].tolist() == ["TURBINE_00001"]
    assert storage.partition_values(home, names.SILVER, "reading_date") == ["2026-01-05"]
    assert storage.read_table(home, names.SILVER, partitions=["reading_date=2026-01-04"]) is None


def test_a_damaged_version_raises_after_the_retries(home):
    rewrite_in_place(home, 2)
    version = storage.publish(home, TABLE, home.table(TABLE))
    version.paths()[0].unlink()
    version.paths()[0].write_bytes(b"not parquet")
    with pytest.raises(pa.ArrowInvalid):
        storage.read_table(home, TABLE, retry_delay=0)


def test_clean_empties_the_landing_folder_only_when_asked(home):
    from workloads.engine.clean import empty_landing

    assert empty_landing(home) == 0  # no landing folder yet
    home.landing.mkdir(parents=True)
    for name in ("a.jsonl", ".b.jsonl.tmp"):
        (home.landing / name).write_text("{}\n")
    assert empty_landing(home) == 2
    assert list(home.landing.iterdir()) == []
