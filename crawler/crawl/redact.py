"""Secrets out of what a crawl logs, reports and stores: URL credentials, secret-looking
parameters (tokens, keys, signatures, session ids, OAuth codes) in the query, in `;` path
parameters and in the fragment, and Authorization/Cookie header values.

`redact` works on any text: one URL, a log line, a dict printed by Scrapy. docs/security.md
lists what it covers and what is out of its reach.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

MASK = "REDACTED"

# user:password@ (or a bare token@) right after the scheme, or after a scheme-relative `//`
_USERINFO = re.compile(r"(?:(?<=://)|(?<=^//)|(?<=[\s'\"<(=]//))[^/?#@\s'\"<>]+@")
# name=value after ? & ; or # (a fragment is read as a key=value list too, as OAuth's implicit
# flow writes `#access_token=...`)
_PARAM = re.compile(r"(?P<lead>[?&;#])(?P<name>[^=&;#?\s'\"<>]+)=(?P<value>[^&;#?\s'\"<>]*)")
# Authorization: Bearer x / 'Cookie': 'a=b' (headers in log lines or printed settings)
_HEADER = re.compile(
    r"(?P<name>(?:proxy-)?authorization|cookie|set-cookie|x-api-key)(?P<sep>['\"]?\s*[:=]\s*['\"]?)"
    r"(?P<value>[^'\"\n,}]+)",
    re.IGNORECASE,
)

# A name is split into words (`accessKey`, `X-Amz-Signature`, `client_secret`, `oauth.verifier`
# -> access/key, x/amz/signature, ...). These words make any name secret:
# fmt: off
_SECRET_WORDS = frozenset({
    "token", "tokens", "secret", "secrets", "password", "passwd", "pass", "pwd", "passphrase",
    "passcode", "signature", "sig", "credential", "credentials", "apikey", "auth", "jwt",
    "bearer", "verifier", "sessionid", "jsessionid", "phpsessid", "sessid", "aspsessionid",
    "otp", "hmac", "accesskey", "secretkey", "privatekey", "apitoken", "accesstoken",
    "authtoken", "clientsecret",
})
# ... and these inside a run-together name ("xapikey", "myaccesstoken", "sessiontoken").
_SECRET_PARTS = ("token", "secret", "passw", "apikey", "accesskey", "privatekey", "signature",
                 "credential", "sessionid", "sessid")
# `<qualifier>_key` is a credential (api_key, access_key, consumer_key); a bare or other `key`
# is ambiguous.
_KEY_QUALIFIERS = frozenset({
    "api", "access", "secret", "private", "consumer", "client", "subscription", "license",
    "auth", "app", "master", "signing", "encryption", "account", "storage",
})
# fmt: on
# Names that are credentials on some sites and ids on others (an OAuth `code` or a story's
# `code`, a session `sid` or a story `sid`, a `key` of an API or of a list). Their values are
# masked unless they look like an id: digits (with - / . separators) or at most 4 characters,
# so a stored URL still tells two articles apart and a crawl does not take them for one page.
_AMBIGUOUS_WORDS = frozenset(["key", "code", "sid", "session", "ticket"])
_ID_VALUE = re.compile(r"[0-9][0-9./-]*|.{0,4}", re.DOTALL)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_WORD_SPLIT = re.compile(r"[^a-z0-9]+")


def _words(name: str) -> list[str]:
    """The words of a parameter name, percent-decoded and lower case."""
    name = _CAMEL.sub("_", unquote(name))
    return [w for w in _WORD_SPLIT.split(name.lower()) if w]


def secret_name(name: str, value: str = "") -> bool:
    """Whether a parameter `name=value` holds a credential (see the word lists above)."""
    words = _words(name)
    if not words:
        return False
    if _SECRET_WORDS.intersection(words):
        return True
    joined = "".join(words)
    if any(part in joined for part in _SECRET_PARTS):
        return True
    if words[-1] == "key" and len(words) > 1 and words[-2] in _KEY_QUALIFIERS:
        return True
    if words[-1] in _AMBIGUOUS_WORDS:
        return _ID_VALUE.fullmatch(unquote(value)) is None
    return False


def _param(match: re.Match[str]) -> str:
    name, value = match["name"], match["value"]
    if not value:
        return match[0]
    if secret_name(name, value):
        return f"{match['lead']}{name}={MASK}"
    if "%3d" in value.lower():  # a URL nested in a parameter (?next=https%3A...%3Ftoken%3D...)
        inner = unquote(value)
        masked = redact(inner)
        if masked != inner:
            return f"{match['lead']}{name}={quote(masked, safe='')}"
    return match[0]


def redact(text: str) -> str:
    """The text with credentials, secret parameter values and auth header values masked."""
    if "//" in text:
        text = _USERINFO.sub(f"{MASK}@", text)
    if "=" in text:
        text = _PARAM.sub(_param, text)
    if ":" in text or "=" in text:
        text = _HEADER.sub(lambda m: f"{m['name']}{m['sep']}{MASK}", text)
    return text
