"""Secrets out of what a crawl logs, reports and stores: URL credentials, secret-looking query
parameters (tokens, keys, signatures, session ids) and Authorization/Cookie header values.

`redact` works on any text: one URL, a log line, a dict printed by Scrapy.
"""

from __future__ import annotations

import re

MASK = "REDACTED"

# user:password@ (or a bare token@) right after the scheme
_USERINFO = re.compile(r"(?<=://)[^/?#@\s'\"<>]+@")
# name=value after ? & or ; (only secret-looking names are masked, see _SECRET_NAME)
_PARAM = re.compile(r"(?P<lead>[?&;])(?P<name>[^=&;#?\s'\"<>]+)=(?P<value>[^&;#?\s'\"<>]*)")
# The name contains token/secret/passw..., or ends in a secret word ("api_key", "auth", "sig").
# Names that are also used for article ids ("id", "sid", "key", "session") are kept: a stored
# URL must still tell two articles apart. "author" and "keyword" are not secrets either.
_SECRET_NAME = re.compile(
    r"token|secret|passw|sess(?:ion_?)?id|apikey|signature|credential"
    r"|(?:^|[_.-])(?:auth|jwt|pwd|sig)$|[_.-]key$",
    re.IGNORECASE,
)
# Authorization: Bearer x / 'Cookie': 'a=b' (headers in log lines or printed settings)
_HEADER = re.compile(
    r"(?P<name>(?:proxy-)?authorization|cookie|set-cookie|x-api-key)(?P<sep>['\"]?\s*[:=]\s*['\"]?)"
    r"(?P<value>[^'\"\n,}]+)",
    re.IGNORECASE,
)


def _param(match: re.Match[str]) -> str:
    if not _SECRET_NAME.search(match["name"]) or not match["value"]:
        return match[0]
    return f"{match['lead']}{match['name']}={MASK}"


def redact(text: str) -> str:
    """The text with credentials, secret query values and auth header values masked."""
    if "://" in text:
        text = _USERINFO.sub(f"{MASK}@", text)
    if "=" in text:
        text = _PARAM.sub(_param, text)
    if ":" in text or "=" in text:
        text = _HEADER.sub(lambda m: f"{m['name']}{m['sep']}{MASK}", text)
    return text
