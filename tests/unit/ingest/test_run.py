"""`windmill ingest` on generated vendor-style exports: files, reruns, errors (no JVM)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from tests.helpers import run_windmill
from workloads import registry
from workloads.config import Paths
from workloads.errors import WindmillError
from workloads.ingest import landing, mapping, sample
from workloads.ingest import run as ingest_run

pytestmark = pytest.mark.unit
STAMP = datetime(2026, 1, 1, tzinfo=UTC)


def landed(folder) -> list[dict]:
    rows = []
    for path in sorted(folder.glob("[!.]*.jsonl")):
        rows += [json.loads(text) for text in path.read_text().splitlines()]
    return rows


def ingest(folder, fmt="csv", delimiter=";", chunk_rows=250, turbines=2, steps=200):
    export, _assets, mapping_file = sample.write(
        folder / "export", turbines, sample.dst_start(), steps, fmt=fmt, delimiter=delimiter
    )
    paths = Paths(folder / "home")
    summary = ingest_run.ingest(
        [export],
        mapping.load(mapping_file),
        paths.landing,
        paths,
        chunk_rows=chunk_rows,
        show_progress=False,
        ingested_at=STAMP,
    )
    return export, paths, summary


def test_every_line_lands_once_in_chunks_with_stable_names(tmp_path):
    export, paths, summary = ingest(tmp_path)
    lines = len(export.read_text().splitlines()) - 1
    rows = landed(paths.landing)
    assert summary.rows == len(rows) == lines
    assert summary.chunks_written == -(-lines // 250) and summary.chunks_skipped == 0
    names = sorted(p.name for p in paths.landing.iterdir())
    digest = landing.export_digest(export)
    assert names == [landing.chunk_name(export, digest, i) for i in range(summary.chunks_written)]
    assert not [n for n in names if n.startswith(".")]
    assert {row["turbine_id"] for row in rows} == {"R80711", "R80712", None}  # blank lines
    first = rows[0]
    assert first["timestamp"].endswith("Z") and "fault_code" not in first
    assert "vibration_level" not in first  # never measured: the pipeline reads null
    assert (first["latitude"], first["longitude"]) == (47.54, 5.58)
    assert summary.last_reading > summary.first_reading

    again = ingest_run.ingest(
        [export], mapping.load(export.parent / "mapping.toml"), paths.landing, paths,
        chunk_rows=250, show_progress=False,
    )  # fmt: skip
    assert (again.chunks_written, again.chunks_skipped) == (0, summary.chunks_written)
    assert len(landed(paths.landing)) == lines


def test_csv_and_parquet_exports_land_the_same_rows(tmp_path):
    _, csv_paths, _ = ingest(tmp_path / "csv", fmt="csv", delimiter=";")
    _, pq_paths, _ = ingest(tmp_path / "pq", fmt="parquet")
    comma, comma_paths, _ = ingest(tmp_path / "comma", fmt="csv", delimiter=",")

    def readings(paths):
        rows = [r for r in landed(paths.landing) if r["turbine_id"] is not None]
        return sorted(
            json.dumps({k: v for k, v in r.items() if k != "batch_id"}, sort_keys=True)
            for r in rows
        )

    assert readings(csv_paths) == readings(pq_paths) == readings(comma_paths)


def test_the_registry_gets_the_assets_and_keeps_other_turbines(tmp_path):
    paths = Paths(tmp_path / "home")
    registry.write_local(paths, registry.generated_fleet(2))
    _, paths, summary = ingest(tmp_path)
    table = registry.read(paths)
    assert list(table.columns) == list(registry.COLUMNS)
    assert list(table.turbine_id) == ["R80711", "R80712", "TURBINE_00001", "TURBINE_00002"]
    r = table.set_index("turbine_id").loc["R80711"]
    assert (r.site, r.rated_power_kw, r.latitude) == (sample.SITE, 2050.0, 47.54)
    assert summary.registered == 2 and summary.unregistered_rows == 0


def test_a_value_that_does_not_fit_is_one_sentence_with_line_and_column(tmp_path):
    export, _, mapping_file = sample.write(tmp_path, 1, sample.dst_start(), 5, delimiter=";")
    lines = export.read_text().splitlines()
    cells = lines[3].split(";")
    cells[2] = "fast"  # Ws_avg
    lines[3] = ";".join(cells)
    export.write_text("\n".join(lines) + "\n")
    paths = Paths(tmp_path / "home")
    with pytest.raises(WindmillError) as caught:
        ingest_run.ingest(
            [export], mapping.load(mapping_file), paths.landing, paths, show_progress=False
        )
    assert str(caught.value) == (
        f"{export}, line 4, column 'Ws_avg': 'fast' is not a number (decimals are written with "
        "a point)."
    )


def test_a_file_without_a_mapped_column_or_with_a_short_row(tmp_path):
    export, _, mapping_file = sample.write(tmp_path, 1, sample.dst_start(), 5, delimiter=";")
    rules = mapping.load(mapping_file)
    paths = Paths(tmp_path / "home")
    text = export.read_text()
    export.write_text(text.replace("P_avg", "Power", 1))
    with pytest.raises(
        WindmillError, match=r"line 1, column 'P_avg': the mapping reads this column"
    ):
        ingest_run.ingest([export], rules, paths.landing, paths, show_progress=False)
    lines = text.splitlines()
    lines[2] = ";".join(lines[2].split(";")[:4])
    export.write_text("\n".join(lines) + "\n")
    with pytest.raises(
        WindmillError, match=r"line 3: expected 12 columns separated by ';', found 4"
    ):
        ingest_run.ingest([export], rules, paths.landing, paths, show_progress=False)


def test_the_cli_prints_the_summary_and_the_next_command(tmp_path):
    export, _, mapping_file = sample.write(tmp_path / "x", 1, sample.dst_start(), 12)
    home = tmp_path / "home"
    result = run_windmill(
        "ingest", str(export), "--mapping", str(mapping_file), "--no-progress",
        env={"WINDMILL_HOME": str(home)},
    )  # fmt: skip
    assert "Ingested 15 rows of 1 file(s) from 2017-03-25 00:00 to 2017-03-25 01:50 UTC" in (
        result.stdout
    )
    assert "1 turbine(s) registered" in result.stdout
    assert "Next: windmill pipeline run --set as_of=latest" in result.stdout
    bad = run_windmill(
        "ingest", str(export), "--mapping", str(export), env={"WINDMILL_HOME": str(home)},
        check=False,
    )  # fmt: skip
    assert bad.returncode == 2 and "is not valid TOML" in bad.stderr
