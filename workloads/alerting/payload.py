"""Alertmanager's webhook body (version 4) and a plain-text form for apprise channels.

Fields as Alertmanager documents them for `webhook_config`: version, groupKey,
truncatedAlerts, status, receiver, groupLabels, commonLabels, commonAnnotations,
externalURL and alerts[] (status, labels, annotations, startsAt, endsAt,
generatorURL, fingerprint); a firing alert's endsAt is Go's zero time, as there.
"""

from __future__ import annotations

from typing import Any

from workloads.alerting.model import FIRING, RESOLVED, Alert, iso

RECEIVER = "windmill"
ZERO_TIME = "0001-01-01T00:00:00Z"
SUMMARY_GROUP = "summary"


def alert_body(alert: Alert, status: str, key: str, external_url: str = "") -> dict[str, Any]:
    """One alert of the payload, as stored in the outbox (plus our group and key)."""
    annotations = {"summary": alert.summary, **alert.annotations, "idempotency_key": key}
    return {
        "status": status,
        "labels": alert.labels(),
        "annotations": annotations,
        "startsAt": _z(iso(alert.starts_at)),
        "endsAt": _z(iso(alert.ends_at)) if status == RESOLVED and alert.ends_at else ZERO_TIME,
        "generatorURL": external_url,
        "fingerprint": alert.fingerprint,
        "group": alert.group,
        "key": key,
    }


def _z(text: str) -> str:
    return text.replace("+00:00", "Z")


def _common(dicts: list[dict[str, str]]) -> dict[str, str]:
    if not dicts:
        return {}
    common = dict(dicts[0])
    for other in dicts[1:]:
        common = {k: v for k, v in common.items() if other.get(k) == v}
    return common


def webhook_payload(
    bodies: list[dict[str, Any]], group: str, external_url: str = ""
) -> dict[str, Any]:
    """The webhook JSON for the alerts of one group (or of a folded summary)."""
    alerts = [{k: v for k, v in b.items() if k not in ("group", "key")} for b in bodies]
    if group == SUMMARY_GROUP:
        group_labels: dict[str, str] = {}
    else:
        site, severity = group.rsplit("|", 1)
        group_labels = {"severity": severity.lower(), "site": site}
    inner = ", ".join(f'{k}="{v}"' for k, v in sorted(group_labels.items()))
    return {
        "version": "4",
        "groupKey": f"{{}}:{{{inner}}}",
        "truncatedAlerts": 0,
        "status": FIRING if any(a["status"] == FIRING for a in alerts) else RESOLVED,
        "receiver": RECEIVER,
        "groupLabels": group_labels,
        "commonLabels": _common([a["labels"] for a in alerts]),
        "commonAnnotations": _common(
            [{k: v for k, v in a["annotations"].items() if k != "idempotency_key"} for a in alerts]
        ),
        "externalURL": external_url,
        "alerts": alerts,
    }


def text_message(payload: dict[str, Any]) -> tuple[str, str]:
    """(title, body) of a payload for chat and mail channels."""
    alerts = payload["alerts"]
    firing = sum(a["status"] == FIRING for a in alerts)
    title = f"[{payload['status'].upper()}:{firing or len(alerts)}] windmill " + (
        " ".join(f"{k}={v}" for k, v in sorted(payload["groupLabels"].items())) or "summary"
    )
    lines = []
    for a in alerts:
        labels = a["labels"]
        who = labels.get("turbine_id") or labels.get("source", "")
        lines.append(
            f"{a['status']}: {labels['severity'].upper()} {labels['fault_code']} {who} "
            f"({labels['site']}) since {a['startsAt']}"
            + (f", ended {a['endsAt']}" if a["status"] == RESOLVED else "")
        )
    return title, "\n".join(lines)
