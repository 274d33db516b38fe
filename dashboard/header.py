"""The page's header: the refresh badge (time, source, stale) and the fleet KPIs."""

from __future__ import annotations

import html
from typing import Any

from dashboard.state import STATUS, Snapshot
from dashboard.store import CARD_STALE_CSS, HtmlView, stale_badge, when
from workloads import names

BADGE_CSS = """
.wm-badges { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; font-size: 14px; }
.wm-refreshed { font-weight: 600; }
.wm-source { color: #555; }
.wm-stale { background: #c62828; color: white; padding: 2px 8px; border-radius: 10px; font-weight: 600; }
.wm-error { color: #c62828; overflow-wrap: anywhere; }
"""

KPI_CSS = """
.wm-kpis { display: flex; flex-wrap: wrap; gap: 10px; }
.wm-kpi { flex: 1 1 130px; border: 1px solid #ddd; border-radius: 8px; padding: 8px 12px; background: #fafafa; }
.wm-kpi .wm-label { font-size: 13px; color: #555; }
.wm-kpi .wm-value { font-size: 28px; font-weight: 700; }
.wm-kpi.critical .wm-value { color: #c62828; }
.wm-kpi.warning .wm-value { color: #ef6c00; }
.wm-platform { margin-top: 6px; font-size: 14px; }
"""


class RefreshBadge(HtmlView):
    """'Last refreshed' time, source and the stale badge with the error."""

    watch = ("snapshot",)
    css = BADGE_CSS

    def html(self, snapshot: Snapshot) -> str:
        parts = [
            f'<span class="wm-refreshed" id="wm-refreshed">Last refreshed: '
            f"{html.escape(when(snapshot.refreshed_at) or 'not yet')}</span>",
            f'<span class="wm-source">source: {html.escape(snapshot.source)}'
            + (
                f" ({html.escape(snapshot.status.filter_path)})"
                if snapshot.status and snapshot.source != "local"
                else ""
            )
            + "</span>",
        ]
        if snapshot.stale:
            parts.append(
                f'<span class="wm-stale" id="wm-stale">stale since {html.escape(when(snapshot.stale_since))}</span>'
                f'<span class="wm-error">{html.escape(snapshot.error or "")}</span>'
            )
        elif snapshot.error:
            parts.append(f'<span class="wm-error">{html.escape(snapshot.error)}</span>')
        return '<div class="wm-badges">' + " ".join(parts) + "</div>"


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "–"
    return f"{value}{unit}"


class FleetKpis(HtmlView):
    """Turbines reporting, fleet power now, energy today, open CRITICAL/WARNING alerts."""

    css = KPI_CSS + CARD_STALE_CSS
    # The parts its figures come from (for its stale badge).
    parts = (STATUS, names.GOLD_STATUS, names.GOLD_HOURLY, names.GOLD_ALERTS)

    def html(self, snapshot: Snapshot) -> str:
        fleet = snapshot.fleet()
        cards = [
            ("turbines", "", "Turbines reporting", _fmt(fleet["turbines_reporting"])),
            ("power", "", "Fleet power now (MW)", _fmt(fleet["power_now_mw"])),
            ("energy", "", "Energy today (MWh)", _fmt(fleet["energy_today_mwh"])),
            ("critical", "critical", "Open CRITICAL alerts", _fmt(fleet["critical_alerts"])),
            ("warning", "warning", "Open WARNING alerts", _fmt(fleet["warning_alerts"])),
        ]
        body = "".join(
            f'<div class="wm-kpi {css}"><div class="wm-label">{html.escape(label)}</div>'
            f'<div class="wm-value" id="kpi-{key}">{html.escape(value)}</div></div>'
            for key, css, label, value in cards
        )
        known = snapshot.status is not None  # never read: unknown ("–"), not zero
        pipelines, jobs = (
            {key: _fmt(value if known else None) for key, value in snapshot.counts(kind).items()}
            for kind in ("pipelines", "jobs")
        )
        platform = (
            f'<div class="wm-platform">Pipelines: <b id="pipelines-total">{pipelines["total"]}</b> total, '
            f'<b id="pipelines-active">{pipelines["active"]}</b> active, '
            f'<b id="pipelines-idle">{pipelines["idle"]}</b> idle · Jobs: '
            f'<b id="jobs-total">{jobs["total"]}</b> total, <b id="jobs-active">{jobs["active"]}</b> active, '
            f'<b id="jobs-idle">{jobs["idle"]}</b> idle</div>'
        )
        badge = stale_badge(snapshot, *self.parts)
        return f'<div class="wm-kpis">{body}</div>{badge}{platform}'
