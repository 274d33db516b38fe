"""`windmill ask --workspace databricks` without any Databricks configuration (Genie's
answers, follow-ups and failures through the CLI: tests/integration/test_ask_genie.py)."""

from __future__ import annotations

import os

import pytest

from workloads import cli

pytestmark = pytest.mark.integration


def test_no_databricks_configuration_is_one_sentence(tmp_path, monkeypatch, capsys):
    for key in list(os.environ):
        if key.startswith("DATABRICKS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cli.main(["ask", "--workspace", "databricks", "--profile", "nope", "x?"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("windmill ask: Cannot connect to Databricks") and err.count("\n") == 1
