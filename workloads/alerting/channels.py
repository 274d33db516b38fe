"""Where notifications go: an http(s) URL gets Alertmanager's webhook JSON; any other URL
is an apprise URL (slack://, mailto://, msteams://, json://…) and gets a text message.

A channel knows its URL but shows only `name` (masked, see `secrets`) and is stored by
`id`; errors it raises are already redacted.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from workloads.alerting.payload import text_message
from workloads.alerting.secrets import channel_id, mask_url, redact
from workloads.errors import WindmillError

TIMEOUT_S = 10.0


class DeliveryError(Exception):
    """A channel did not take a message (refused, failed or timed out); retried later."""


@dataclass
class Channel:
    url: str = field(repr=False)
    timeout_s: float = TIMEOUT_S

    @property
    def id(self) -> str:
        return channel_id(self.url)

    @property
    def name(self) -> str:
        return mask_url(self.url)

    @property
    def is_webhook(self) -> bool:
        return urlsplit(self.url).scheme in ("http", "https")

    def send(self, payload: dict[str, Any], idempotency_key: str) -> None:
        """Deliver one message or raise DeliveryError (with secrets redacted)."""
        try:
            if self.is_webhook:
                self._post(payload, idempotency_key)
            else:
                self._apprise(payload)
        except DeliveryError as exc:
            raise DeliveryError(redact(str(exc), [self.url])) from None
        except Exception as exc:  # noqa: BLE001 - any failure of a channel is a failed try
            text = f"{type(exc).__name__}: {exc}"
            raise DeliveryError(redact(text, [self.url])) from None

    def _post(self, payload: dict[str, Any], idempotency_key: str) -> None:
        url, headers = _without_userinfo(self.url)
        request = urllib.request.Request(
            url,
            data=json.dumps(payload).encode(),
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": "windmill-notifier",
                "Idempotency-Key": idempotency_key,
                **headers,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            raise DeliveryError(f"HTTP {exc.code} from the receiver") from None
        except TimeoutError:
            raise DeliveryError(f"no answer within {self.timeout_s:g} s") from None
        except urllib.error.URLError as exc:
            raise DeliveryError(f"cannot reach the receiver ({exc.reason})") from None

    def _apprise(self, payload: dict[str, Any]) -> None:
        import apprise

        notifier = apprise.Apprise()
        if not notifier.add(self.url):
            raise DeliveryError("apprise does not understand this URL")
        title, body = text_message(payload)
        if not notifier.notify(title=title, body=body):
            raise DeliveryError("apprise could not deliver the message")


def _without_userinfo(url: str) -> tuple[str, dict[str, str]]:
    """`http://user:pass@host/…` → the URL without them plus a Basic Authorization header
    (what Go's HTTP client, hence Alertmanager, does with a URL's userinfo)."""
    import base64
    from urllib.parse import unquote, urlunsplit

    parts = urlsplit(url)
    if parts.username is None:
        return url, {}
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port:
        netloc += f":{parts.port}"
    credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
    header = "Basic " + base64.b64encode(credentials.encode()).decode()
    return urlunsplit(parts._replace(netloc=netloc)), {"Authorization": header}


def parse_channels(urls: list[str], timeout_s: float = TIMEOUT_S) -> list[Channel]:
    """Channels for the given URLs (deduplicated, order kept); one clear error if malformed."""
    seen: dict[str, Channel] = {}
    for url in (u.strip() for u in urls):
        if not url:
            continue
        if "://" not in url:
            raise WindmillError(
                "a notification channel must be a URL such as http://host/hook or "
                "slack://…; got something without a scheme."
            )
        seen.setdefault(url, Channel(url, timeout_s))
    return list(seen.values())
