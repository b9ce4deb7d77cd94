"""py3langid's language identifier with its byte walk done in C (or numpy): the same model, the
same scores and labels, a fraction of the time per document.

The walk and the count (below) run in `_langscan.c`, one pass over the bytes, when the
cleaner's compiled build (`crawler.extract.boilerplate.native`, `make setup`) holds it and
matches its source; else, and with `CORPUS_PURE_PYTHON=1`, in numpy as described here (the
reference: both give the same features in the same order with the same counts, and the
scores are then made by the same numpy calls).

py3langid finds a text's byte n-gram features by walking a DFA (an Aho-Corasick automaton over
the model's n-grams) one byte at a time in a Python loop: most of the time language id takes.
In such an automaton the state after byte i depends only on the last few bytes (the longest
suffix that is a prefix of an n-gram: at most 6 bytes in the shipped model), so the states of
all positions are found at once, in numpy, by walking a short window ending at each. The result
is then proved to be the sequential walk's (each state must be the transition of the one before
on its byte, checked for all positions in one step); if it were not, the library's own loop runs.
Features are counted in first-seen order, as the library's `Counter` does, and scored by the
library's own expression, so the scores are the same floats. The counting is a scatter and a
few gathers, proved right as it goes (`first_seen_counts`): `np.unique` with its indices and a
second sort to restore the first-seen order took twice as long as this whole count.

The scores are taken from a float32 copy of the model's float16 table, made once when the model
loads: numpy multiplies a float32 vector by float16 rows by casting those rows to float32 first
(exactly: every float16 is a float32), so the same float32 product runs on the same values, and
the per-document cast (a third of the scoring's time) is gone. The copy is 57 MB where the
table is 28 MB; the worker pool's forkserver loads the model (`crawler.run.warm_text`), so its
workers share one copy and never write to it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

from crawler.extract import language_cache
from crawler.extract.boilerplate import native

_WINDOW = 6  # bytes walked per position: the depth of the model's deepest DFA state
Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float32]
_SCAN = native.c_module("crawler.extract._langscan")
"""The C walk (`feature_counts`), or None: then the numpy walk runs."""
_LOG1P_MAX = 1 << 20  # counts tabled for texts up to this many bytes (4 MB of float32 at most)


class FastIdentifier(LanguageIdentifier):  # type: ignore[misc]  # py3langid is untyped
    """`LanguageIdentifier` whose feature walk runs in numpy (identical results)."""

    _walk: tuple[npt.NDArray[np.uint32], Ints, Ints, npt.NDArray[np.float32]] | None = None
    _slots: npt.NDArray[np.int32] | None = None  # the C walk's scratch: -1 per feature
    _log1p: Floats = np.zeros(0, dtype=np.float32)  # np.log1p of 0, 1, 2... (see `weights`)

    def _tables(self) -> tuple[npt.NDArray[np.uint32], Ints, Ints, npt.NDArray[np.float32]]:
        """The DFA's transitions, row offsets and outputs as arrays, and the class scores of
        each feature as float32 (see the module's docstring)."""
        if self._walk is None:
            self._walk = (
                np.frombuffer(self.tk_nextmove, dtype=np.uint32),  # a view: no copy of 39 MB
                np.asarray(self.tk_row, dtype=np.int64) << 8,
                np.asarray(self.tk_output, dtype=np.int64),
                np.asarray(self._full_model[0], dtype=np.float32),
            )
        return self._walk

    def states(self, data: bytes) -> Ints | None:
        """The DFA state after each byte of `data`, as the sequential walk from state 0 finds
        them; None if the windowed walk cannot be proved equal to it."""
        nextmove, rowbase, _, _ = self._tables()
        b = np.frombuffer(data, dtype=np.uint8).astype(np.int64)
        n = b.size
        s = np.zeros(n, dtype=np.int64)
        for back in range(min(_WINDOW, n) - 1, -1, -1):  # the byte `back` places before i
            s[back:] = nextmove[rowbase[s[back:]] + b[: n - back]]
        prev = np.concatenate((np.zeros(1, dtype=np.int64), s[:-1]))
        if not np.array_equal(nextmove[rowbase[prev] + b], s):
            return None
        return s

    def feature_counts(
        self, data: bytes, values: Floats | None = None
    ) -> tuple[Ints, Floats] | None:
        """The features the DFA outputs over `data`, in first-seen order, and how often each
        (as float32; with `values`, values[count] instead): what the library's `visit_counts`
        holds. By the C walk when built, else numpy's; None if neither could prove its result
        (then the library's walk runs)."""
        if _SCAN is None:
            counted = self.numpy_feature_counts(data)
            if counted is None or values is None:
                return counted
            return counted[0], np.take(values, counted[1].astype(np.intp))
        nextmove, rowbase, outputs, scores = self._tables()
        if self._slots is None:
            self._slots = np.full(scores.shape[0], -1, dtype=np.int32)
        feats = np.empty(len(data), dtype=np.intp)
        counts = np.empty(len(data), dtype=np.float32)
        k = _SCAN.feature_counts(
            nextmove, rowbase, outputs, data, self._slots, feats, counts, values
        )
        return None if k < 0 else (feats[:k], counts[:k])

    def weights(self, data: bytes) -> tuple[Ints, Floats] | None:
        """The features of `data` and `np.log1p` of their counts (the library's weights).

        The logs are looked up in a table numpy made once with the same `np.log1p` over the
        same contiguous float32 counts (a count's log does not depend on the other counts:
        tests check the table against the per-document call), so they are the same floats."""
        if len(data) >= _LOG1P_MAX:
            counted = self.feature_counts(data)
            return None if counted is None else (counted[0], np.log1p(counted[1]))
        if len(data) >= self._log1p.size:  # counts go up to len(data)
            size = min(max(1 << 14, 2 * len(data)), _LOG1P_MAX)
            self._log1p = np.log1p(np.arange(size, dtype=np.float32))
        return self.feature_counts(data, self._log1p)

    def numpy_feature_counts(self, data: bytes) -> tuple[Ints, Floats] | None:
        """`feature_counts` by the windowed walk in numpy (the reference of the C walk)."""
        states = self.states(data)
        if states is None:
            return None
        _, _, outputs, scores = self._tables()
        feats = outputs[states]
        feats = feats[feats >= 0]
        if feats.size == 0:
            return feats, np.zeros(0, dtype=np.float32)
        counted = first_seen_counts(feats, scores.shape[0])
        if counted is None:
            return None
        return counted[0], counted[1].astype(np.float32)

    def _raw_score(self, text: bytes) -> Any:
        if not isinstance(text, bytes) or not text or self.nb_ptc is not self._full_model[0]:
            return super()._raw_score(text)  # (a language subset: the library's own path)
        weighted = self.weights(text)
        if weighted is None:
            return super()._raw_score(text)
        idx, logs = weighted
        if idx.size == 0:
            return super()._raw_score(b"")  # the library's featureless answer
        _, _, _, scores = self._tables()
        return logs @ np.take(scores, idx, axis=0) + self.nb_pc


def first_seen_counts(values: Ints, size: int) -> tuple[Ints, Ints] | None:
    """The distinct values (each in range(size)) in order of first occurrence, and how often
    each occurs: what `collections.Counter` holds, as two arrays; None if numpy's scatter did
    not keep the first write (never seen; then the caller takes the library's path).

    Each value's first position is scattered into a table written backwards (positions last to
    first, so the first one is written last) and then *checked*: the position found for every
    occurrence holds that value and comes at or before it, so it is the first. The values are
    then those at first positions, in the input's order, and a count per first position."""
    n = values.size
    pos = np.arange(n)
    first_at = np.empty(size, dtype=np.intp)  # only the entries of `values` are written, read
    first_at[values[::-1]] = pos[::-1]
    first = first_at[values]
    if not ((first <= pos).all() and np.array_equal(values[first], values)):
        return None
    seen = np.zeros(n, dtype=bool)
    seen[first] = True
    return values[seen], np.bincount(first, minlength=n)[seen]


def load_identifier() -> FastIdentifier:
    """py3langid's shipped model with normalised probabilities, walked in numpy (its arrays
    made now, so that a process forked after this shares them): memory-mapped from the
    uncompressed copy in the cache (`crawler.extract.language_cache`), else read from the
    package and then kept there."""
    model_file = MODEL_DIR / MODEL_FILE
    cached = language_cache.load_cached(model_file)
    if cached is None:
        identifier: FastIdentifier = FastIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        _, _, _, scores = identifier._tables()
        arrays = {
            "ptc": scores,
            "pc": np.asarray(identifier.nb_pc, dtype=np.float32),
            "nextmove": np.asarray(identifier.tk_nextmove),
            "row": np.asarray(identifier.tk_row),
            "out_feat": np.asarray(identifier.tk_output, dtype=np.int32),
        }
        language_cache.store(model_file, arrays, list(identifier.nb_classes))
        return identifier
    arrays, classes = cached
    identifier = FastIdentifier(
        arrays["ptc"],  # float32: the library's float16 values, cast exactly
        np.array(arrays["pc"]),
        classes,
        arrays["nextmove"],
        arrays["out_feat"].tolist(),  # the library's types: lists of ints
        norm_probs=True,
        tk_row=arrays["row"].tolist(),
    )
    identifier._tables()
    return identifier
