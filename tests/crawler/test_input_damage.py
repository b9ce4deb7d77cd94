"""Damaged, disguised and hostile inputs (issue 12, items 8-11): symlinks out of the input
folder, the kind of input taken from its content, BOM-less UTF-16/32 and stray control bytes,
limits that agree on a busy machine, and secrets in URLs. bench/input_damage.py runs the same
cases through `corpus ingest` and prints one row per case."""

from __future__ import annotations

import time

import pytest

from crawler import staging
from crawler.config import Settings
from crawler.dedup import MinHasher
from crawler.normalize import detect_language
from crawler.readers import RawInput
from crawler.redact import redact

# -- redaction ----------------------------------------------------------------------------------

SECRET = "S3cr3tV4lue9x"

MASKED = [
    "https://x.test/a?accessKey=S3cr3tV4lue9x",
    "https://x.test/a?to%6Ben=S3cr3tV4lue9x",  # percent-encoded name
    "https://x.test/a?%70assword=S3cr3tV4lue9x",
    "https://x.test/cb#access_token=S3cr3tV4lue9x&token_type=bearer",  # in the fragment
    "https://x.test/cb#/done?id_token=S3cr3tV4lue9x",
    "https://x.test/a?pass=S3cr3tV4lue9x",
    "https://x.test/a?PWD=S3cr3tV4lue9x",
    "https://x.test/cb?code=S3cr3tV4lue9x&state=xyz",  # an OAuth authorization code
    "https://x.test/cb?oauth_verifier=S3cr3tV4lue9x",
    "https://x.test/a?client_secret=S3cr3tV4lue9x",
    "https://x.test/a?x-amz-signature=S3cr3tV4lue9x",
    "https://x.test/a?x-amz-security-token=S3cr3tV4lue9x",
    "https://x.test/a?refreshToken=S3cr3tV4lue9x",
    "https://x.test/a?PHPSESSID=S3cr3tV4lue9x",
    "https://x.test/a?session=S3cr3tV4lue9x",
    "https://x.test/a?sid=S3cr3tV4lue9x",
    "https://x.test/a?key=S3cr3tV4lue9x",
    "https://x.test/a?secretKey=S3cr3tV4lue9x",
    "https://x.test/a?ticket=ST-S3cr3tV4lue9x",
    "//user:S3cr3tV4lue9x@x.test/feed",  # scheme-relative user-info
    "https://x.test/login?next=https%3A%2F%2Fy.test%2F%3Ftoken%3DS3cr3tV4lue9x",  # nested URL
]

KEPT = [
    "https://x.test/a?page=2&utm_source=news&utm_medium=email&id=12&q=budget&lang=en",
    "https://x.test/a?author=jo&keyword=budget&sort_key=date&code=US&sid=1234&key=8&session=9",
    "https://x.test/story.php?sid=07/11/20/1234567&passage=3&design=new&monkey=1",
    "https://x.test/a#section-2",
    "https://x.test/a?zip_code=10001&country_code=FR",
]


@pytest.mark.parametrize("url", MASKED)
def test_secret_looking_parameters_are_masked(url: str) -> None:
    masked = redact(url)
    assert SECRET not in masked and "REDACTED" in masked


@pytest.mark.parametrize("url", KEPT)
def test_harmless_parameters_are_kept(url: str) -> None:
    assert redact(url) == url


# -- limits that agree --------------------------------------------------------------------------


def test_a_busy_machine_does_not_turn_a_valid_input_into_a_timeout() -> None:
    """Reading and cleaning that wait (for a core shared by six processes, for a slow disk)
    without computing are not over the limit: it counts CPU time."""
    text = "The council voted on Tuesday to extend the programme for two more years. " * 10

    def slow_load() -> RawInput:
        time.sleep(0.3)  # descheduled: wall-clock time passes, no CPU time is used
        return RawInput("file:///busy.txt", "text", text, len(text))

    detect_language(text)  # load the language model first: its CPU time is not the point here
    item = staging.PendingInput("file:///busy.txt", len(text), "0" * 64, slow_load)
    settings = Settings(max_doc_seconds=0.2)
    row, reject = staging.clean_input(item, settings, None, MinHasher(settings.num_perm))
    assert reject is None and row is not None
