"""Language id's C walk (`_langscan.c`) gives the numpy walk's features, counts and scores."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from py3langid.langid import MODEL_FILE, LanguageIdentifier, visit_counts

from crawler.extract import language
from crawler.extract.boilerplate import native
from crawler.extract.language import FastIdentifier, load_identifier

EVAL = Path(__file__).resolve().parents[3] / "eval" / "dev" / "text"
needs_c = pytest.mark.skipif(language._SCAN is None, reason="no matching compiled build")


@pytest.fixture(scope="module")
def fast() -> FastIdentifier:
    return load_identifier()


@pytest.fixture(scope="module")
def ref() -> LanguageIdentifier:
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _numpy_scores(
    fast: FastIdentifier, text: str | bytes, monkeypatch: pytest.MonkeyPatch
) -> bytes:
    with monkeypatch.context() as m:
        m.setattr(language, "_SCAN", None)
        return bytes(fast._decide(text).tobytes())


def _same_counts(fast: FastIdentifier, ref: LanguageIdentifier, data: bytes) -> None:
    got = fast.feature_counts(data)
    reference = fast.numpy_feature_counts(data)
    assert got is not None and reference is not None
    assert got[0].tolist() == reference[0].tolist()
    assert got[1].tobytes() == reference[1].tobytes()
    visits = visit_counts(ref.tk_nextmove, ref._rowbase, ref.tk_output, data) or {}
    assert dict(zip(got[0].tolist(), got[1].tolist(), strict=True)) == visits
    assert got[0].tolist() == list(visits)  # the library's first-seen order
    assert fast._slots is not None and (fast._slots == -1).all()  # the scratch left clean


@needs_c
def test_every_dev_text_counts_and_scores_as_the_numpy_walk(
    fast: FastIdentifier, ref: LanguageIdentifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    for path in sorted(EVAL.glob("*.txt")):
        text = path.read_text("utf-8", "replace")
        for sample in (text[:4000], text[:300], text):
            _same_counts(fast, ref, fast._encode(sample))
            assert fast._decide(sample).tobytes() == _numpy_scores(fast, sample, monkeypatch)
            assert fast._decide(sample).tobytes() == ref._decide(sample).tobytes()


@needs_c
@settings(max_examples=400, deadline=None)
@given(
    st.binary(max_size=300)
    | st.text(max_size=200).map(lambda t: t.encode("utf-8", "replace"))
    | st.binary(min_size=512, max_size=3000)  # long enough for the walk in interleaved pieces
)
def test_any_bytes_count_as_the_numpy_walk(data: bytes) -> None:
    fast, ref = _identifiers()
    if data:
        _same_counts(fast, ref, data)


@needs_c
@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_text_scores_as_the_numpy_walk_and_the_library(text: str) -> None:
    fast, ref = _identifiers()
    got = fast._decide(text).tobytes()
    scan, language._SCAN = language._SCAN, None
    try:
        assert got == fast._decide(text).tobytes()
    finally:
        language._SCAN = scan
    assert got == ref._decide(text).tobytes()
    assert fast.classify(text) == ref.classify(text)


_PAIR: list[tuple[FastIdentifier, LanguageIdentifier]] = []


def _identifiers() -> tuple[FastIdentifier, LanguageIdentifier]:
    """(hypothesis runs a test many times: the model is loaded once)"""
    if not _PAIR:
        _PAIR.append(
            (load_identifier(), LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True))
        )
    return _PAIR[0]


@needs_c
def test_an_index_outside_the_model_is_refused_and_the_librarys_walk_used(
    fast: FastIdentifier, ref: LanguageIdentifier
) -> None:
    nextmove, rowbase, outputs, scores = fast._tables()
    data = fast._encode("Der Bundestag hat am Donnerstag ein neues Gesetz beschlossen.")
    slots = np.full(scores.shape[0], -1, dtype=np.int32)
    feats, counts = np.empty(len(data), dtype=np.intp), np.empty(len(data), dtype=np.float32)
    scan = language._SCAN
    assert scan is not None
    bad_outputs = outputs.copy()
    bad_outputs[bad_outputs >= 0] = scores.shape[0]  # a feature past the table
    assert scan.feature_counts(nextmove, rowbase, bad_outputs, data, slots, feats, counts) == -1
    assert scan.feature_counts(nextmove, rowbase[:1], outputs, data, slots, feats, counts) == -1
    assert scan.feature_counts(nextmove[:300], rowbase, outputs, data, slots, feats, counts) == -1
    assert (slots == -1).all()
    with pytest.raises(TypeError):
        scan.feature_counts(nextmove, rowbase, outputs, data, slots, feats, counts.astype(float))
    with pytest.raises(ValueError):
        scan.feature_counts(nextmove, rowbase, outputs, data, slots, feats[:3], counts)
    broken = load_identifier()
    broken._walk = (nextmove, rowbase, bad_outputs, scores)
    assert broken.feature_counts(data) is None
    assert broken._decide(data).tobytes() == ref._decide(data).tobytes()


def test_the_tabled_logs_are_the_per_document_np_log1p(fast: FastIdentifier) -> None:
    data = fast._encode("Der Bundestag hat am Donnerstag ein neues Gesetz beschlossen. " * 40)
    assert fast.weights(data) is not None
    table = (
        fast._log1p
        if language._SCAN is not None
        else np.log1p(np.arange(1 << 14, dtype=np.float32))
    )
    assert table.size > len(data)
    rng = np.random.default_rng(15)
    for n in (1, 7, 64, 1000, 5000):
        counts = rng.integers(1, table.size, n)
        expected = np.log1p(counts.astype(np.float32))  # what the library computes
        assert np.take(table, counts).tobytes() == expected.tobytes()
    assert (
        table[: len(data)].tobytes() == np.log1p(np.arange(len(data), dtype=np.float32)).tobytes()
    )


@needs_c
def test_weights_past_the_table_and_a_table_too_short(
    fast: FastIdentifier, ref: LanguageIdentifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "Der Bundestag hat am Donnerstag ein neues Gesetz beschlossen. " * 5
    data = fast._encode(text)
    counted = fast.feature_counts(data)
    assert counted is not None
    short = np.log1p(np.arange(2, dtype=np.float32))  # counts of 2 and more are not in it
    assert fast.feature_counts(data, short) is None
    monkeypatch.setattr(language, "_LOG1P_MAX", 16)  # np.log1p per document
    weighted = fast.weights(data)
    assert weighted is not None and weighted[1].tobytes() == np.log1p(counted[1]).tobytes()
    assert fast._decide(text).tobytes() == ref._decide(text).tobytes()


def _scanner_in(env: dict[str, str]) -> str:
    code = "from crawler.extract import language; print(language._SCAN is not None)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return out.stdout.strip()


@pytest.mark.slow
def test_the_pure_python_switch_runs_the_numpy_walk() -> None:
    assert _scanner_in({native.PURE_ENV: "1"}) == "False"
    built = native.usable_build() is not None
    assert _scanner_in({native.PURE_ENV: ""}) == str(built)


def test_the_scanner_is_loaded_exactly_when_the_build_matches() -> None:
    pure = os.environ.get(native.PURE_ENV, "") not in ("", "0")
    files = native.usable_build()
    expected = not pure and files is not None and "crawler.extract._langscan" in files
    assert (language._SCAN is not None) == expected


@pytest.mark.skipif(
    os.environ.get("CI") != "true" or bool(os.environ.get(native.PURE_ENV)),
    reason="only CI must build it: elsewhere a machine without a compiler runs numpy",
)
def test_ci_runs_the_c_walk() -> None:
    assert language._SCAN is not None, "no usable compiled build: see `make setup`'s output"
