"""`windmill sql`'s output formats (pure Python, no engine)."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from workloads.engine.sql import render

pytestmark = pytest.mark.unit


def test_render_formats():
    columns = ["turbine_id", "power", "at"]
    rows = [
        {"turbine_id": "TURBINE_00001", "power": 1.5, "at": datetime(2026, 1, 5)},
        {"turbine_id": None, "power": 2.0, "at": None},
    ]
    assert json.loads(render(columns, rows, "json")) == [
        {"turbine_id": "TURBINE_00001", "power": 1.5, "at": "2026-01-05T00:00:00"},
        {"turbine_id": None, "power": 2.0, "at": None},
    ]
    assert render(columns, rows, "csv").splitlines() == [
        "turbine_id,power,at",
        "TURBINE_00001,1.5,2026-01-05T00:00:00",
        ",2.0,",
    ]
    table = render(columns, rows, "table").splitlines()
    assert table[1].split("|")[1].strip() == "turbine_id"
    assert "NULL" in table[4] and table[-1] == "(2 rows)"


def test_a_cut_table_says_so_in_its_count_line():
    rows = [{"n": 1}, {"n": 2}]
    assert (
        render(["n"], rows, "table", cut=True).splitlines()[-1] == "(first 2 rows; more rows match)"
    )
    assert render(["n"], rows, "table").splitlines()[-1] == "(2 rows)"
    assert json.loads(render(["n"], rows, "json", cut=True)) == rows  # still plain JSON
