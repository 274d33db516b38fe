"""`windmill score` / `windmill train` refuse clearly before any engine starts."""

from __future__ import annotations

import pytest

from workloads import cli


def test_score_without_a_model_is_one_sentence(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WINDMILL_HOME", str(tmp_path))
    assert cli.main(["score", "--model", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith(
        "No trained model at " + str(tmp_path / "nowhere") + ": run `windmill train` first."
    )
    assert "Traceback" not in err and len(err.splitlines()) == 1


def test_score_with_a_corrupt_model_is_one_sentence(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WINDMILL_HOME", str(tmp_path))
    latest = tmp_path / "models" / "latest"
    latest.mkdir(parents=True)
    (latest / "model.txt").write_text("garbage")
    (latest / "model.json").write_text(
        '{"model_version": "v", "threshold": 0.5, "horizon_hours": 24, "features": []}'
    )
    assert cli.main(["score"]) == 2
    err = capsys.readouterr().err.strip()
    assert "is damaged (" in err and err.endswith("run `windmill train` again.")
    assert len(err.splitlines()) == 1


def test_catalog_needs_schema(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WINDMILL_HOME", str(tmp_path))
    assert cli.main(["train", "--catalog", "main"]) == 2
    assert "--catalog and --schema go together" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["train", "score"])
def test_help_lists_the_commands(command, capsys):
    with pytest.raises(SystemExit):
        cli.main([command, "--help"])
    assert "--catalog" in capsys.readouterr().out
