"""Batch file names, stale temporaries, landing errors, bad-record mix, flags (no JVM)."""

from __future__ import annotations

import errno
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from workloads import cli
from workloads.errors import WindmillError
from workloads.generator import jsonlines, writer
from workloads.generator.generate import GeneratorConfig

pytestmark = pytest.mark.unit


def test_batch_file_names_sort_by_time():
    early = writer.batch_file_name(datetime(2026, 1, 5, 0, 0, tzinfo=UTC), "zzzz-00009")
    late = writer.batch_file_name(datetime(2026, 1, 5, 0, 1, tzinfo=UTC), "aaaa-00000")
    assert early == "batch-20260105T000000Z-zzzz-00009.jsonl"
    assert sorted([late, early]) == [early, late]
    assert not early.startswith((".", "_"))


def test_stale_temporaries_of_dead_processes_are_removed(tmp_path):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead_pid = int(dead.stdout)
    (tmp_path / f".tmp-{dead_pid}-batch-x.jsonl").write_text("{half")
    (tmp_path / f".tmp-{dead_pid}-batch-x.d").mkdir()
    (tmp_path / f".tmp-{dead_pid}-batch-x.d" / "part-00000.txt").write_text("{}")
    live = tmp_path / f".tmp-{subprocess.os.getpid()}-batch-y.jsonl"
    live.write_text("{}")
    kept = tmp_path / "batch-20260105T000000Z-a-00000.jsonl"
    kept.write_text("{}\n")
    assert writer.clean_stale_temporaries(tmp_path) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, kept.name])


def test_landing_errors_are_one_clear_sentence(tmp_path):
    full = writer.landing_error(tmp_path, OSError(errno.ENOSPC, "No space left on device"))
    assert isinstance(full, WindmillError) and "is full" in str(full)
    spark_full = writer.landing_error(
        tmp_path, RuntimeError("java.io.IOException: No space left on device")
    )
    assert "is full" in str(spark_full)
    denied = writer.landing_error(tmp_path, PermissionError(errno.EACCES, "Permission denied"))
    assert "Permission denied" in str(denied) and "--landing" in str(denied)
    assert "\n" not in str(denied)


def test_bad_record_mix_is_deterministic_and_has_every_kind():
    number = np.tile(np.arange(1, 101), 200)
    ts = 1_767_571_200_000 + np.repeat(np.arange(200), 100) * 60_000
    kind, detail = jsonlines.bad_record_choice(3, number, ts, 0.1)
    again, _ = jsonlines.bad_record_choice(3, number, ts, 0.1)
    assert np.array_equal(kind, again)
    assert abs(np.mean(kind > 0) - 0.1) < 0.01
    counts = np.bincount(kind, minlength=len(jsonlines.BAD_RECORD_KINDS) + 1)[1:]
    assert np.all(counts > 0.15 * 0.1 * len(kind))  # each kind about a fifth of the bad ones
    none, _ = jsonlines.bad_record_choice(3, number, ts, 0.0)
    assert not none.any()
    assert set(jsonlines.OUT_OF_RANGE_COLUMNS) <= set(jsonlines.contract.PHYSICAL_RANGES)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--turbines", "0"], "greater than 0"),
        (["--bad-record-rate", "1.5"], "between 0 and 1"),
        (["--start", "yesterday"], "ISO time"),
        (["--batch-interval", "-1"], "0 or more"),
        (["--backfill-hours", "abc"], "expected a number"),
    ],
)
def test_bad_flags_are_rejected_with_one_sentence(flags, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["generate", *flags])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_config_rejects_impossible_runs():
    with pytest.raises(WindmillError, match="--turbines"):
        GeneratorConfig(turbines=100_000).validate()
    with pytest.raises(WindmillError, match="shorter than one --reading-interval"):
        GeneratorConfig(backfill_hours=0.001, reading_interval=60).validate()
    GeneratorConfig(backfill_hours=1, reading_interval=60).validate()


class _FakeLines:
    """Stands in for a Spark DataFrame: `.write.mode(m).text(path)` writes part files."""

    def __init__(self, parts: list[str], error: Exception | None = None) -> None:
        self.parts, self.error = parts, error

    @property
    def write(self):
        return self

    def mode(self, _mode):
        return self

    def text(self, path: str) -> None:
        folder = Path(path)
        folder.mkdir(parents=True)
        for index, content in enumerate(self.parts):
            (folder / f"part-{index:05d}-x.txt").write_text(content)
        if self.error:
            raise self.error


def test_write_batch_joins_parts_and_renames_atomically(tmp_path):
    final = writer.write_batch(_FakeLines(['{"a":1}\n', '{"a":2}\n']), tmp_path, "batch-x.jsonl")
    assert final == tmp_path / "batch-x.jsonl"
    assert final.read_text() == '{"a":1}\n{"a":2}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["batch-x.jsonl"]  # no temporaries left
    single = writer.write_batch(_FakeLines(['{"a":3}\n']), tmp_path, "batch-y.jsonl")
    assert single.read_text() == '{"a":3}\n'


def test_write_lines_writes_the_arrow_text_atomically(tmp_path):
    import pyarrow as pa

    lines = pa.array(['{"a":0}\n', '{"a":1}\n', '{"a":2}\n'])
    final = writer.write_lines(lines.slice(1), tmp_path, "batch-s.jsonl")  # a slice, too
    assert final.read_bytes() == b'{"a":1}\n{"a":2}\n'
    assert (
        writer.write_lines(pa.array([], pa.string()), tmp_path, "batch-e.jsonl").stat().st_size == 0
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["batch-e.jsonl", "batch-s.jsonl"]
    with pytest.raises(WindmillError, match="Cannot write batch files"):
        writer.write_lines(lines, tmp_path / "missing", "batch-m.jsonl")


def test_a_full_disk_is_one_clear_error_and_leaves_no_file(tmp_path):
    full = RuntimeError("Job aborted. java.io.IOException: No space left on device")
    with pytest.raises(WindmillError, match="is full"):
        writer.write_batch(_FakeLines(['{"a":1}\n'], error=full), tmp_path, "batch-z.jsonl")
    assert list(tmp_path.iterdir()) == []


def test_a_java_error_on_an_unwritable_folder_is_one_clear_error(tmp_path, monkeypatch):
    java_error = RuntimeError("An error occurred while calling o123.text.")
    monkeypatch.setattr(
        writer, "_write_probe", lambda folder: PermissionError(13, "Operation not permitted")
    )
    with pytest.raises(
        WindmillError, match="Cannot write batch files .* \\(Operation not permitted\\)"
    ):
        writer.write_batch(_FakeLines(['{"a":1}\n'], error=java_error), tmp_path, "batch-j.jsonl")


def test_a_java_error_on_a_writable_folder_is_not_disguised(tmp_path):
    java_error = RuntimeError("An error occurred while calling o123.text.")
    with pytest.raises(RuntimeError, match="o123"):
        writer.write_batch(_FakeLines(['{"a":1}\n'], error=java_error), tmp_path, "batch-k.jsonl")
    assert list(tmp_path.iterdir()) == []


def test_backfill_jobs_put_one_equal_batch_per_partition():
    from workloads.generator.generate import backfill_jobs

    # 180 steps, 50 a batch, 2 a job: two full batches, one full alone, the short one alone.
    assert backfill_jobs(180, 50, 2) == [(0, 2, 50), (2, 1, 50), (3, 1, 30)]
    assert backfill_jobs(100, 50, 4) == [(0, 2, 50)]
    assert backfill_jobs(7, 10, 2) == [(0, 1, 7)]
    jobs = backfill_jobs(10_020, 500, 2)
    assert sum(count * steps for _, count, steps in jobs) == 10_020
    assert [first for first, _, _ in jobs] == list(range(0, 21, 2))
