"""The numpy language identifier gives py3langid's own scores, float for float."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from py3langid.langid import MODEL_FILE, LanguageIdentifier, visit_counts

from crawler.extract import language, language_cache
from crawler.extract.language import FastIdentifier, load_identifier

DEV = Path(__file__).resolve().parents[3] / "eval" / "dev" / "text"
SAMPLES = [
    "",
    "a",
    "é",
    "ok then",
    "THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG",
    "Это длинное предложение на русском языке о новостях дня.",
    "日本語のテキストです。" * 30,
    "Der Bundestag hat am Donnerstag ein neues Gesetz beschlossen, das die Mieten begrenzt.",
    "\ud800 lone surrogate and text",
    "x" * 5000,
    "mixed English text, avec du français, und ein bisschen Deutsch 12:30 2019-11-20",
]


@pytest.fixture(scope="module")
def pair() -> tuple[LanguageIdentifier, FastIdentifier]:
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True), load_identifier()


def _texts() -> list[str]:
    pages = [p.read_text("utf-8", "replace")[:4000] for p in sorted(DEV.glob("*.txt"))[:25]]
    return SAMPLES + pages + [p[:300] for p in pages]


def test_scores_are_the_librarys_exactly(
    pair: tuple[LanguageIdentifier, FastIdentifier],
) -> None:
    ref, fast = pair
    for text in _texts():
        assert np.array_equal(fast._decide(text), ref._decide(text)), text[:60]
        assert fast.classify(text) == ref.classify(text)


def test_states_are_the_sequential_walks(pair: tuple[LanguageIdentifier, FastIdentifier]) -> None:
    ref, fast = pair
    for text in _texts():
        data = ref._encode(text)
        states = fast.states(data)
        assert states is not None
        out = np.asarray(ref.tk_output)[states] if data else np.zeros(0, dtype=np.int64)
        feats = [int(f) for f in out if f >= 0]
        counted = visit_counts(ref.tk_nextmove, ref._rowbase, ref.tk_output, data) or {}
        assert dict.fromkeys(feats).keys() == counted.keys()  # same features, same order


def test_a_window_too_short_is_caught_and_the_library_walk_used(
    pair: tuple[LanguageIdentifier, FastIdentifier], monkeypatch: pytest.MonkeyPatch
) -> None:
    ref, fast = pair
    monkeypatch.setattr(language, "_WINDOW", 1)
    text = "Der Bundestag hat am Donnerstag ein neues Gesetz beschlossen."
    assert fast.states(ref._encode(text)) is None
    assert np.array_equal(fast._decide(text), ref._decide(text))


def test_a_language_subset_uses_the_librarys_path() -> None:
    fast, ref = load_identifier(), LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    fast.set_languages(["de", "nl"])
    ref.set_languages(["de", "nl"])
    text = "Der Bundestag hat am Donnerstag ein neues Gesetz beschlossen."
    assert np.array_equal(fast._decide(text), ref._decide(text))


def test_first_seen_counts_are_a_counters() -> None:
    rng = np.random.default_rng(7)
    for n, size in ((1, 1), (5, 3), (300, 20), (5000, 100_053)):
        values = rng.integers(0, size, n)
        got = language.first_seen_counts(values, size)
        assert got is not None
        counted = Counter(values.tolist())
        assert got[0].tolist() == list(counted)  # first-seen order
        assert got[1].tolist() == list(counted.values())


def test_an_unproved_count_falls_back_to_the_librarys_path(
    pair: tuple[LanguageIdentifier, FastIdentifier], monkeypatch: pytest.MonkeyPatch
) -> None:
    ref, fast = pair
    monkeypatch.setattr(language, "first_seen_counts", lambda values, size: None)
    text = "Der Bundestag hat am Donnerstag ein neues Gesetz beschlossen."
    assert np.array_equal(fast._decide(text), ref._decide(text))


def test_the_model_cached_uncompressed_gives_the_librarys_scores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first load reads the package's model and keeps it uncompressed; the next maps that
    copy; both score as py3langid does, language subsets included."""
    monkeypatch.setenv(language_cache.CACHE_ENV, str(tmp_path))
    first = load_identifier()
    [folder] = tmp_path.iterdir()
    assert folder.name.startswith("langid-") and (folder / "manifest.json").exists()
    second = load_identifier()
    assert isinstance(second.nb_ptc, np.memmap) and not isinstance(first.nb_ptc, np.memmap)
    ref = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    for text in _texts():
        assert np.array_equal(second._decide(text), ref._decide(text)), text[:60]
        assert np.array_equal(first._decide(text), ref._decide(text)), text[:60]
    data = ref._encode("Der Bundestag hat am Donnerstag ein neues Gesetz beschlossen.")
    assert visit_counts(second.tk_nextmove, second._rowbase, second.tk_output, data) == (
        visit_counts(ref.tk_nextmove, ref._rowbase, ref.tk_output, data)
    )  # the library's own walk over the mapped arrays (its fallback)
    second.set_languages(["de", "nl"])
    ref.set_languages(["de", "nl"])
    assert np.array_equal(second._decide(SAMPLES[7]), ref._decide(SAMPLES[7]))


def test_a_damaged_or_switched_off_cache_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(language_cache.CACHE_ENV, str(tmp_path))
    load_identifier()
    [folder] = tmp_path.iterdir()
    table = folder / "ptc.npy"
    table.write_bytes(table.read_bytes()[: table.stat().st_size // 2])  # cut short
    identifier = load_identifier()
    assert not isinstance(identifier.nb_ptc, np.memmap)
    assert identifier.classify(SAMPLES[7])[0] == "de"
    monkeypatch.setenv(language_cache.CACHE_ENV, "")
    assert language_cache.cache_root() is None
    assert not isinstance(load_identifier().nb_ptc, np.memmap)


def test_the_cache_is_the_checkouts_own_and_never_the_users_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Run from a checkout, the model's cache is its git-ignored `.cache/` (as `.prefect/`);
    installed elsewhere, the user's XDG cache."""
    monkeypatch.delenv(language_cache.CACHE_ENV, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert language_cache.cache_root() == language_cache.CHECKOUT / ".cache"
    monkeypatch.setattr(language_cache, "CHECKOUT", tmp_path / "site-packages")
    assert language_cache.cache_root() == tmp_path / "xdg" / "corpus"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert language_cache.cache_root() == tmp_path / "home" / ".cache" / "corpus"
