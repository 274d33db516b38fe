"""The dashboard's risk card as pure HTML: the top-10, the model card, risk unavailable."""

from __future__ import annotations

import json

import pandas as pd

from dashboard import risk_panel
from workloads.config import Paths


def risk_frame():
    rows = []
    for i in range(14):
        rows.append(
            {
                "turbine_id": f"TURBINE_{i:05d}",
                "as_of": pd.Timestamp("2026-01-05T12:00:00Z"),
                "risk": i / 14,
                "horizon_hours": 24.0,
                "top_signals": json.dumps(
                    [
                        {
                            "feature": "gearbox_temperature_load_residual_6h",
                            "value": 4.5,
                            "contribution": 1.25,
                        }
                    ]
                ),
                "model_version": "v1",
                "threshold": 0.5,
                "in_fault": i == 13,
            }
        )
    return pd.DataFrame(rows)


def test_top_ten_leaves_out_turbines_in_fault_and_shows_the_signals():
    top = risk_panel.top_at_risk(risk_frame())
    assert len(top) == 10
    assert top["turbine"].iloc[0] == "TURBINE_00012"  # 13 is in fault
    assert top["above threshold"].iloc[0] == "yes"
    assert (
        top["signals behind the score"].iloc[0]
        == "gearbox_temperature_load_residual_6h = 4.5 (+1.25)"
    )
    page = risk_panel.top_html(risk_frame())
    assert "TURBINE_00012" in page and "1 turbine(s) already in fault" in page


def test_model_card_lists_every_metric_against_both_baselines():
    meta = {
        "model_version": "v1",
        "trained_at": "2026-01-05T00:00:00+00:00",
        "threshold": 0.41,
        "metrics": {"roc_auc": 0.93},
        "baselines": {"rules": {"roc_auc": 0.5}, "proximity": {"roc_auc": 0.7}},
        "confidence": {"intervals": {"model": {"roc_auc": [0.91, 0.95]}}},
    }
    table = risk_panel.evaluation_frame(meta)
    assert table.iloc[0].to_dict() == {
        "metric": "ROC AUC",
        "model": "0.930",
        "model 95 % interval": "0.910–0.950",
        "rules": "0.500",
        "proximity": "0.700",
    }
    assert len(table) == len(risk_panel.METRIC_LABELS)
    assert "v1" in risk_panel.model_card_html(meta)


def test_risk_unavailable_is_shown_never_raised(tmp_path):
    paths = Paths(tmp_path)
    meta, problem = risk_panel.load_model_card(tmp_path)  # no model of its own: the shipped one
    assert problem is None and meta["model_version"].startswith("bootstrap-")
    assert "Shipped with windmill" in risk_panel.model_card_html(meta)
    (tmp_path / "models" / "latest").mkdir(parents=True)
    (tmp_path / "models" / "latest" / "model.json").write_text("{broken")
    meta, problem = risk_panel.load_model_card(tmp_path)
    assert meta is None and "unreadable" in problem
    card = risk_panel.panel_for_home(paths)
    text = " ".join(obj.object for obj in card.objects)
    assert "Risk unavailable: no scores yet" in text and "Risk unavailable: the model" in text
