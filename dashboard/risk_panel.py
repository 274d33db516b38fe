"""The failure-risk card: the top-10 turbines at risk with the signals behind each score, and
the model card (version, trained at, the evaluation table against the baselines).

Pure functions turn the `gold_turbine_risk` frame and the model's `model.json` into HTML
(unit-tested without a server); `panel(...)` wraps them. Risk that cannot be shown (no model
trained yet, no score table, a damaged model file) is shown as unavailable with the reason,
never an error: the rest of the page does not depend on it.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd

from dashboard.tables import html_table

TOP_N = 10
METRIC_LABELS = {
    "roc_auc": "ROC AUC",
    "pr_auc": "PR AUC",
    "event_recall": "event recall (alarm ≥ 1 h before)",
    "median_lead_hours": "median lead (h)",
    "false_alarms_per_turbine_30d": "false alarms / turbine / 30 d",
    "top10_precision": "daily top-10 precision",
    "brier": "Brier score (lower is better)",
}


def _signals(text) -> str:
    """'gearbox_temperature_load_residual_6h = 4.1 (+1.20), …' from the JSON list."""
    try:
        items = json.loads(text) if isinstance(text, str) else []
    except ValueError:
        return ""
    parts = []
    for item in items if isinstance(items, list) else []:
        value = item.get("value")
        shown = "—" if value is None else f"{value:g}"
        parts.append(f"{item.get('feature')} = {shown} ({item.get('contribution', 0):+.2f})")
    return ", ".join(parts)


def top_at_risk(risk: pd.DataFrame, n: int = TOP_N) -> pd.DataFrame:
    """The n highest risks of turbines not already in fault, with their top signals."""
    scored = risk[risk["risk"].notna() & ~risk["in_fault"].fillna(False).astype(bool)]
    top = scored.sort_values(["risk", "turbine_id"], ascending=[False, True]).head(n)
    return pd.DataFrame(
        {
            "turbine": top["turbine_id"].to_numpy(),
            "risk": top["risk"].round(3).to_numpy(),
            "above threshold": (top["risk"] >= top["threshold"])
            .map({True: "yes", False: ""})
            .to_numpy(),
            "signals behind the score": [_signals(s) for s in top["top_signals"]],
        }
    )


def unavailable_html(reason: str) -> str:
    return f'<div class="wm-empty">Risk unavailable: {html.escape(reason)}</div>'


def top_html(risk: pd.DataFrame | None) -> str:
    if risk is None or risk.empty:
        return unavailable_html("no scores yet (`windmill score` writes gold_turbine_risk).")
    first = risk.iloc[0]
    caption = (
        f"As of {pd.Timestamp(first['as_of']).strftime('%Y-%m-%d %H:%M')} UTC, next "
        f"{first['horizon_hours']:g} h, model {first['model_version']}, threshold "
        f"{first['threshold']:.3f}; {int(risk['in_fault'].sum())} turbine(s) already in fault."
    )
    return f'<div class="wm-caption">{html.escape(caption)}</div>' + html_table(
        top_at_risk(risk), wrap=("signals behind the score",), empty="No turbine scored."
    )


def _cell(value) -> str:
    return "—" if value is None else f"{value:.3f}"


def _interval(meta: dict, name: str) -> str:
    """The model's 95 % bootstrap interval over evaluation turbines ('' when not computed)."""
    bounds = meta.get("confidence", {}).get("intervals", {}).get("model", {}).get(name)
    return f"{bounds[0]:.3f}–{bounds[1]:.3f}" if bounds else ""


def evaluation_frame(meta: dict) -> pd.DataFrame:
    """One row per metric: the model (and its 95 % interval), the rules, the proximity
    heuristic."""
    metrics, baselines = meta.get("metrics", {}), meta.get("baselines", {})
    return pd.DataFrame(
        [
            {
                "metric": label,
                "model": _cell(metrics.get(name)),
                "model 95 % interval": _interval(meta, name),
                "rules": _cell(baselines.get("rules", {}).get(name)),
                "proximity": _cell(baselines.get("proximity", {}).get(name)),
            }
            for name, label in METRIC_LABELS.items()
        ]
    )


def model_card_html(meta: dict | None, problem: str | None = None) -> str:
    if meta is None:
        return unavailable_html(problem or "no model trained yet (`windmill train`).")
    history = meta.get("history", {})
    facts = (
        f"Model {meta.get('model_version')}, trained {meta.get('trained_at')}, threshold "
        f"{float(meta.get('threshold', 0)):.3f}; {history.get('turbines', '?')} turbines, "
        f"{history.get('history_start', '?')} to {history.get('history_end', '?')}, "
        f"{history.get('eval_episodes', '?')} evaluation episodes on unseen turbines and later days."
    )
    if meta.get("bootstrap"):
        facts += " " + str(meta["bootstrap"])
    return f'<div class="wm-caption">{html.escape(facts)}</div>' + html_table(
        evaluation_frame(meta)
    )


def load_model_card(home: Path) -> tuple[dict | None, str | None]:
    """(model.json of the model `windmill score` uses, None) or (None, why it is unavailable)."""
    from workloads.model.bundle import META_FILE, default_folder

    path = default_folder(Path(home)) / META_FILE
    if not path.is_file():
        return None, "no model trained yet (`windmill train`)."
    try:
        meta = json.loads(path.read_text())
    except (OSError, ValueError):
        return None, "the model's model.json is unreadable; run `windmill train` again."
    return (meta, None) if isinstance(meta, dict) else (None, "the model's model.json is damaged.")


def load_risk(paths) -> tuple[pd.DataFrame | None, str | None]:
    """The published gold_turbine_risk, or (None, why not)."""
    from workloads import storage
    from workloads.names import GOLD_RISK

    try:
        frame = storage.read_table(paths, GOLD_RISK)
    except Exception as exc:  # a damaged table must not break the page
        return None, f"gold_turbine_risk is unreadable ({type(exc).__name__})."
    return frame, None


def panel(risk: pd.DataFrame | None, meta: dict | None, risk_problem=None, model_problem=None):
    """The card: top-10 at risk above the model card (each shows its own reason if missing)."""
    import panel as pn

    top = unavailable_html(risk_problem) if risk_problem else top_html(risk)
    return pn.Column(
        pn.pane.HTML("<h3>Failure risk: top 10</h3>" + top),
        pn.pane.HTML("<h3>Model card</h3>" + model_card_html(meta, model_problem)),
        sizing_mode="stretch_width",
    )


def panel_for_home(paths):
    """The card from a local home: the risk table and the model scoring uses (never raises)."""
    risk, risk_problem = load_risk(paths)
    meta, model_problem = load_model_card(paths.home)
    return panel(risk, meta, risk_problem, model_problem)
