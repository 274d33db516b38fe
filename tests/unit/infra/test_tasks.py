"""The "Drop Tables" job's landing step empties the folder and keeps it."""

from __future__ import annotations

import pytest

from infra.tasks.empty_landing import empty_folder, main

pytestmark = pytest.mark.unit


def test_empty_folder_removes_everything_inside_and_keeps_the_folder(tmp_path):
    landing = tmp_path / "raw_sensor_data"
    (landing / "_batches").mkdir(parents=True)
    (landing / "_batches" / "b-1.json").write_text("{}")
    (landing / "part-0001.json").write_text('{"turbine_id": "TURBINE_00001"}\n')
    assert empty_folder(landing) == 2
    assert landing.is_dir()
    assert list(landing.iterdir()) == []
    assert empty_folder(landing) == 0
    assert empty_folder(tmp_path / "absent") == 0


def test_only_a_volume_path_is_accepted(tmp_path, capsys):
    (tmp_path / "keep.json").write_text("{}")
    assert main([str(tmp_path)]) == 2
    assert (tmp_path / "keep.json").exists()
    assert "usage" in capsys.readouterr().out
