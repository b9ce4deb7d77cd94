"""py3langid's language identifier with its byte walk and scoring done in numpy: the same
model, the same scores and labels, a fraction of the time per document.

py3langid finds a text's byte n-gram features by walking a DFA (an Aho-Corasick automaton over
the model's n-grams) one byte at a time in a Python loop: most of the time language id takes.
In such an automaton the state after byte i depends only on the last few bytes (the longest
suffix that is a prefix of an n-gram: at most 6 bytes in the shipped model), so the states of
all positions are found at once, in numpy, by walking a short window ending at each. The result
is then proved to be the sequential walk's (each state must be the transition of the one before
on its byte, checked for all positions in one step); if it were not, the library's own loop runs.
Features are counted in first-seen order, as the library's `Counter` does, and scored against
the same float32 values of the float16 table (cast once per row, on first use), so the scores
are the same floats.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from py3langid.langid import MODEL_FILE, LanguageIdentifier

_WINDOW = 6  # bytes walked per position: the depth of the model's deepest DFA state
Ints = npt.NDArray[np.int64]


class FastIdentifier(LanguageIdentifier):  # type: ignore[misc]  # py3langid is untyped
    """`LanguageIdentifier` whose feature walk and scoring run in numpy (identical results)."""

    _walk: tuple[npt.NDArray[np.uint32], Ints, Ints] | None = None
    _rows32: npt.NDArray[np.float32] | None = None  # nb_ptc as float32, rows filled on first use
    _filled: npt.NDArray[np.bool_] | None = None

    def _tables(self) -> tuple[npt.NDArray[np.uint32], Ints, Ints]:
        if self._walk is None:
            self._walk = (
                np.frombuffer(self.tk_nextmove, dtype=np.uint32),  # a view: no copy of 39 MB
                np.asarray(self.tk_row, dtype=np.int64) << 8,
                np.asarray(self.tk_output, dtype=np.int64),
            )
        return self._walk

    def states(self, data: bytes) -> Ints | None:
        """The DFA state after each byte of `data`, as the sequential walk from state 0 finds
        them; None if the windowed walk cannot be proved equal to it."""
        nextmove, rowbase, _ = self._tables()
        b = np.frombuffer(data, dtype=np.uint8).astype(np.int64)
        n = b.size
        s = np.zeros(n, dtype=np.int64)
        for back in range(min(_WINDOW, n) - 1, -1, -1):  # the byte `back` places before i
            s[back:] = nextmove[rowbase[s[back:]] + b[: n - back]]
        prev = np.concatenate((np.zeros(1, dtype=np.int64), s[:-1]))
        if not np.array_equal(nextmove[rowbase[prev] + b], s):
            return None
        return s

    def _table_rows(self, idx: npt.NDArray[np.intp]) -> npt.NDArray[np.float32]:
        """Rows `idx` of the class table as float32 (what numpy casts them to in the library's
        float32 @ float16 product), each row cast once; untouched rows take no memory."""
        if self._rows32 is None or self._filled is None:
            self._rows32 = np.empty(self.nb_ptc.shape, dtype=np.float32)
            self._filled = np.zeros(self.nb_ptc.shape[0], dtype=np.bool_)
        new = idx[~self._filled[idx]]
        if new.size:
            self._rows32[new] = self.nb_ptc[new]
            self._filled[new] = True
        return self._rows32[idx]

    def _raw_score(self, text: bytes) -> Any:
        if not isinstance(text, bytes) or not text or self.nb_ptc is not self._full_model[0]:
            return super()._raw_score(text)  # (a language subset: the library's own path)
        states = self.states(text)
        if states is None:
            return super()._raw_score(text)
        feats = self._tables()[2][states]
        feats = feats[feats >= 0]
        if feats.size == 0:
            return super()._raw_score(b"")  # the library's featureless answer
        uniq, first, counts = np.unique(feats, return_index=True, return_counts=True)
        order = np.argsort(first, kind="stable")  # Counter order: first occurrence
        idx = uniq[order].astype(np.intp)
        return np.log1p(counts[order].astype(np.float32)) @ self._table_rows(idx) + self.nb_pc


def load_identifier() -> LanguageIdentifier:
    """py3langid's shipped model with normalised probabilities, walked in numpy."""
    return FastIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
