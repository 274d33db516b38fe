"""Channel URLs carry secrets (tokens, passwords): show and log only a masked form.

`mask_url` keeps what tells channels apart (scheme, host, port, a short hash of the
whole URL) and hides userinfo, query values and any path segment that could be a
token; for apprise URLs (`slack://T/B/C`, `mailto://user:pass@host`) everything after
the scheme is a credential in some service, so only the scheme and the hash remain.
`redact` removes a URL and its parts from any text (error messages, log records).
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable
from urllib.parse import unquote, urlsplit

MASK = "***"
# A path segment of a webhook URL shown as is: a lower-case word or a short id (a token is
# neither: mixed case or long).
_PLAIN_SEGMENT = re.compile(r"^[a-z_.-]{1,24}$|^[A-Za-z0-9_.-]{1,7}$")


def channel_id(url: str) -> str:
    """Stable id of a channel (stored in the outbox instead of its URL)."""
    return hashlib.sha256(url.encode()).hexdigest()[:8]


def mask_url(url: str) -> str:
    """A URL with its secrets replaced by ***, plus the channel id."""
    parts = urlsplit(url)
    ident = channel_id(url)
    if parts.scheme not in ("http", "https"):
        return f"{parts.scheme or 'channel'}://{MASK} [{ident}]"
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    if parts.username or parts.password:
        host = f"{MASK}@{host}"
    path = "/".join(
        seg if not seg or _PLAIN_SEGMENT.match(seg) else MASK for seg in parts.path.split("/")
    )
    query = ""
    if parts.query:
        query = "?" + "&".join(
            f"{pair.split('=', 1)[0]}={MASK}" if "=" in pair else MASK
            for pair in parts.query.split("&")
        )
    return f"{parts.scheme}://{host}{path}{query} [{ident}]"


def secret_parts(url: str) -> list[str]:
    """The URL itself and every piece of it that must not appear anywhere."""
    parts = urlsplit(url)
    pieces = {url, unquote(url)}
    if parts.scheme not in ("http", "https"):
        rest = url.split("://", 1)[-1]
        pieces.add(rest)
        pieces.update(p for p in re.split(r"[/@:?&=#]", rest) if len(p) >= 4)
    else:
        pieces.update(p for p in (parts.username, parts.password) if p and len(p) >= 3)
        pieces.update(seg for seg in parts.path.split("/") if seg and not _PLAIN_SEGMENT.match(seg))
        for pair in parts.query.split("&"):
            value = pair.split("=", 1)[-1]
            if len(value) >= 3:
                pieces.add(value)
    return sorted((p for p in pieces if p), key=len, reverse=True)


def redact(text: str, urls: Iterable[str]) -> str:
    """`text` with every channel URL (masked) and secret piece (***) removed."""
    for url in urls:
        # (a masked name of a URL without secrets holds the URL itself: leave those alone)
        masked = mask_url(url).replace("\\", "\\\\")
        text = re.sub(re.escape(url) + r"(?! \[[0-9a-f]{8}\])", masked, text)
        for piece in secret_parts(url):
            if piece != url:
                text = text.replace(piece, MASK)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that redacts channel secrets from every record it passes."""

    def __init__(self, urls: Iterable[str]) -> None:
        super().__init__()
        self.urls = list(urls)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message, self.urls)
        if clean != message or record.exc_info:
            record.msg, record.args = clean, None
            if record.exc_info:  # a traceback could quote the URL: keep its last line only
                record.msg = f"{clean} ({redact(str(record.exc_info[1]), self.urls)})"
                record.exc_info = None
                record.exc_text = None
        return True


def install_redaction(urls: Iterable[str]) -> RedactingFilter:
    """Redact `urls` from every handler of the root logger (apprise's logs included)."""
    flt = RedactingFilter(urls)
    root = logging.getLogger()
    for handler in root.handlers:
        handler.addFilter(flt)
    root.addFilter(flt)
    return flt
