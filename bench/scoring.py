"""The benchmark's body metric (eval/score.py) and the summaries the bench scripts print from
it: P/R/F1 overall, per gold length band and per language, pages at F1 0."""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BANDS = ("<100", "100-500", ">500")


def scorer() -> ModuleType:
    """eval/score.py as a module (it is a script, not a package)."""
    spec = importlib.util.spec_from_file_location("eval_score", ROOT / "eval" / "score.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SCORE = scorer()


def band(words: int) -> str:
    """The length band of a gold body of `words` metric tokens."""
    return "<100" if words < 100 else "100-500" if words <= 500 else ">500"


def page_f1(golds: Mapping[str, str], preds: Mapping[str, str]) -> dict[str, Any]:
    res: dict[str, Any] = SCORE.evaluate(dict(golds), dict(preds))
    return res


def summarise(golds: Mapping[str, str], preds: Mapping[str, str]) -> dict[str, Any]:
    """P/R/F1 overall and per gold length band (words = metric tokens of the gold body)."""
    res = page_f1(golds, preds)
    out = {"n": len(golds), "P": res["precision"], "R": res["recall"], "F1": res["f1"]}
    bands: dict[str, dict[str, str]] = {}
    for i, g in golds.items():
        bands.setdefault(band(len(SCORE.TOKEN.findall(g))), {})[i] = g
    for b in BANDS:
        if b in bands:
            r = page_f1(bands[b], {i: preds.get(i, "") for i in bands[b]})
            out[b] = {"n": len(bands[b]), "F1": r["f1"]}
    out["zero"] = sum(1 for d in res["per_doc"].values() if d["f1"] == 0)
    return out


def by_group(
    golds: Mapping[str, str], preds: Mapping[str, str], group_of: Mapping[str, str]
) -> dict[str, dict[str, Any]]:
    """P/R/F1 of the pages of each group (a language, say), largest groups first."""
    groups: dict[str, dict[str, str]] = {}
    for i, g in golds.items():
        groups.setdefault(group_of.get(i, "?"), {})[i] = g
    out = {}
    for name, part in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        res = page_f1(part, {i: preds.get(i, "") for i in part})
        out[name] = {"n": len(part), "P": res["precision"], "R": res["recall"], "F1": res["f1"]}
    return out
