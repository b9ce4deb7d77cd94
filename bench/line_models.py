"""Small, deterministic line classifiers in plain numpy (issue 14 research) and the
decoding of line probabilities into a page's kept lines.

- `logreg`: L2-regularised logistic regression on standardised features (Newton steps);
  exported as means, scales, weights and bias.
- `gbdt`: gradient-boosted depth-limited trees on quantile bins (logistic loss, second
  order leaf values); exported as per-tree arrays (feature, threshold, children, value).

Prediction needs only numpy; training needs nothing else either.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

Arr = npt.NDArray[np.float64]
_TODAY = ("kept", "reason=", "in_span", "rel_to_start", "rel_to_end", "title_line")


_CLIP = 5.0
"""Standardised values are clipped: a feature that is nearly constant in training (CJK
script on English pages) must not get an unbounded value on another set."""


def columns(names: Sequence[str], drop_today: bool) -> list[int]:
    """Feature columns used: all, or all but those derived from today's final decision."""
    if not drop_today:
        return list(range(len(names)))
    return [k for k, n in enumerate(names) if not n.split("@")[0].startswith(_TODAY)]


def _sigmoid(z: Arr) -> Arr:
    out: Arr = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
    return out


class Model:
    cols: list[int]

    def raw(self, x: Arr) -> Arr:
        raise NotImplementedError

    def predict(self, x: Arr) -> Arr:
        return _sigmoid(self.raw(x[:, self.cols]))

    def export(self, names: Sequence[str]) -> dict[str, Any]:
        raise NotImplementedError


@dataclass
class LogReg(Model):
    cols: list[int]
    mean: Arr = field(default_factory=lambda: np.zeros(0))
    scale: Arr = field(default_factory=lambda: np.ones(0))
    w: Arr = field(default_factory=lambda: np.zeros(0))
    b: float = 0.0

    def raw(self, x: Arr) -> Arr:
        out: Arr = np.clip((x - self.mean) / self.scale, -_CLIP, _CLIP) @ self.w + self.b
        return out

    def export(self, names: Sequence[str]) -> dict[str, Any]:
        return {
            "kind": "logreg",
            "features": [names[c] for c in self.cols],
            "mean": [round(float(v), 6) for v in self.mean],
            "scale": [round(float(v), 6) for v in self.scale],
            "weights": [round(float(v), 6) for v in self.w],
            "bias": round(self.b, 6),
        }


def _loss(z: Arr, y: Arr, sw: Arr, reg: Arr, w: Arr) -> float:
    """Weighted log-loss plus the L2 penalty."""
    m = z @ w
    nll = np.logaddexp(0.0, m) - y * m
    return float(sw @ nll + 0.5 * reg @ (w * w))


def fit_logreg(
    x: Arr, y: Arr, cols: list[int], w8: Arr | None = None, l2: float = 1.0, steps: int = 8
) -> LogReg:
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = np.concatenate([np.clip((x - mean) / scale, -_CLIP, _CLIP), np.ones((len(x), 1))], axis=1)
    w = np.zeros(z.shape[1])
    reg = np.full(z.shape[1], l2)
    reg[-1] = 0.0
    sw = np.ones(len(y)) if w8 is None else w8
    for _ in range(steps):
        p = _sigmoid(z @ w)
        grad = z.T @ (sw * (p - y)) + reg * w
        hz = z[::4]  # curvature from every 4th row: a Newton step at a quarter of the cost
        hess = (
            4.0 * (hz * (sw * p * (1 - p))[::4, None]).T @ hz + np.diag(reg) + 1e-6 * np.eye(len(w))
        )
        step = np.linalg.solve(hess, grad)
        old = _loss(z, y, sw, reg, w)
        for _ in range(20):  # backtracking: the sub-sampled curvature can overshoot
            if _loss(z, y, sw, reg, w - step) <= old:
                break
            step = step / 2
        w -= step
        if np.abs(step).max() < 1e-4:
            break
    return LogReg(cols, mean, scale, w[:-1], float(w[-1]))


@dataclass
class Trees(Model):
    cols: list[int]
    lr: float
    base: float
    trees: list[tuple[Arr, Arr, Arr]]  # per tree (feature, threshold, leaf values) of a full tree

    def leaves(self, x: Arr, tree: int = 0) -> npt.NDArray[np.int64]:
        """Leaf index of every row in one tree (full binary tree, heap order)."""
        feat, thr, leaf = self.trees[tree]
        node = np.zeros(len(x), dtype=np.int64)
        rows = np.arange(len(x))
        for _ in range(int(np.log2(len(leaf)))):
            go_right = x[rows, feat[node].astype(np.int64)] > thr[node]
            node = 2 * node + 1 + go_right
        out: npt.NDArray[np.int64] = node - (len(leaf) - 1)
        return out

    def raw(self, x: Arr) -> Arr:
        out = np.full(len(x), self.base)
        for t, (_, _, leaf) in enumerate(self.trees):
            out += self.lr * leaf[self.leaves(x, t)]
        return out

    def export(self, names: Sequence[str]) -> dict[str, Any]:
        return {
            "kind": "gbdt",
            "features": [names[c] for c in self.cols],
            "lr": self.lr,
            "base": self.base,
            "trees": [
                {
                    "feature": f.astype(int).tolist(),
                    "threshold": [round(float(t), 6) for t in th],
                    "leaf": [round(float(v), 6) for v in lf],
                }
                for f, th, lf in self.trees
            ],
        }


def fit_gbdt(
    x: Arr,
    y: Arr,
    cols: list[int],
    w8: Arr | None = None,
    n_trees: int = 60,
    depth: int = 3,
    lr: float = 0.3,
    bins: int = 24,
    l2: float = 1.0,
    min_hess: float = 5.0,
    subsample: float = 0.2,
) -> Trees:
    """Each tree is grown on a fixed-seed random `subsample` of the rows (stochastic
    boosting: faster, and less fitted to single pages); leaf values use all rows."""
    n, nf = x.shape
    qs = np.linspace(0, 1, bins + 1)[1:-1]
    edges = [np.unique(np.quantile(x[:, j], qs)) for j in range(nf)]
    xb = np.stack([np.searchsorted(edges[j], x[:, j], side="left") for j in range(nf)], axis=1)
    # bin b holds values <= edges[b] (and > edges[b-1]); split "bin <= b" == "value <= edges[b]"
    prior = float(np.clip(y.mean(), 1e-6, 1 - 1e-6))
    base = float(np.log(prior / (1 - prior)))
    f_raw = np.full(n, base)
    trees = []
    n_inner = 2**depth - 1
    rng = np.random.default_rng(14)
    for _ in range(n_trees):
        p = _sigmoid(f_raw)
        g_all, h_all = p - y, p * (1 - p)
        if w8 is not None:
            g_all, h_all = g_all * w8, h_all * w8
        rows = np.sort(rng.choice(n, size=max(1, int(subsample * n)), replace=False))
        g, h, xs, xbs = g_all[rows], h_all[rows], x[rows], xb[rows]
        node = np.zeros(len(rows), dtype=np.int64)
        feat = np.zeros(n_inner)
        thr = np.full(n_inner, np.inf)
        for level in range(depth):
            first = 2**level - 1
            width = 2**level
            local = node - first
            best_gain = np.zeros(width)
            for j in range(nf):
                key = local * bins + xbs[:, j]
                gh = np.bincount(key, weights=g, minlength=width * bins).reshape(width, bins)
                hh = np.bincount(key, weights=h, minlength=width * bins).reshape(width, bins)
                gl, hl = np.cumsum(gh, axis=1)[:, :-1], np.cumsum(hh, axis=1)[:, :-1]
                gt, ht = gh.sum(axis=1, keepdims=True), hh.sum(axis=1, keepdims=True)
                gr, hr = gt - gl, ht - hl
                gain = gl**2 / (hl + l2) + gr**2 / (hr + l2) - gt**2 / (ht + l2)
                gain[(hl < min_hess) | (hr < min_hess)] = 0.0
                b = np.argmax(gain, axis=1)
                gbest = gain[np.arange(width), b]
                for m in np.nonzero(gbest > best_gain + 1e-12)[0]:
                    if b[m] >= len(edges[j]):
                        continue
                    best_gain[m] = gbest[m]
                    feat[first + m] = j
                    thr[first + m] = edges[j][b[m]]
            f_idx = feat[node].astype(np.int64)
            go_right = xs[np.arange(len(rows)), f_idx] > thr[node]
            node = 2 * node + 1 + go_right
        tree = Trees(list(range(nf)), 1.0, 0.0, [(feat, thr, np.zeros(2**depth))])
        leaf_ids = tree.leaves(x)
        gs = np.bincount(leaf_ids, weights=g_all, minlength=2**depth)
        hs = np.bincount(leaf_ids, weights=h_all, minlength=2**depth)
        leaf = -gs / (hs + l2)
        f_raw += lr * leaf[leaf_ids]
        trees.append((feat.copy(), thr.copy(), leaf))
    return Trees(cols, lr, base, trees)


def fit(
    kind: str,
    x: Arr,
    y: Arr,
    cols: list[int],
    w8: Arr | None = None,
    params: dict[str, float] | None = None,
) -> Model:
    """`w8`: per-row weights (None: all 1); `params`: keyword arguments of the fit
    (`n_trees`, `depth`, `lr`, ... for gbdt; `l2` for logreg)."""
    kw: dict[str, Any] = {
        k: int(v) if k in ("n_trees", "depth", "bins", "steps") else v
        for k, v in (params or {}).items()
    }
    if kind == "logreg":
        return fit_logreg(x, y, cols, w8, **kw)
    if kind == "gbdt":
        return fit_gbdt(x, y, cols, w8, **kw)
    raise ValueError(kind)


def _best_run(s: Arr) -> tuple[int, int] | None:
    best, span, cur, start = 0.0, None, 0.0, 0
    for k, v in enumerate(s):
        if cur <= 0:
            cur, start = float(v), k
        else:
            cur += float(v)
        if cur > best:
            best, span = cur, (start, k + 1)
    return span


def decode(prob: Arr, kept: npt.NDArray[np.bool_], how: str) -> npt.NDArray[np.bool_]:
    """Kept lines from line probabilities: `threshold` (p > 0.5), `smooth` (p averaged
    with its neighbours, weights 1/4 1/2 1/4), `run` (the best contiguous run of log-odds,
    lines in it with p > 0.3, outside it only p > 0.9)."""
    if how == "threshold":
        out: npt.NDArray[np.bool_] = prob > 0.5
        return out
    if how == "smooth":
        pad = np.concatenate([prob[:1], prob, prob[-1:]])
        sm = 0.25 * pad[:-2] + 0.5 * pad[1:-1] + 0.25 * pad[2:]
        out = sm > 0.5
        return out
    if how == "run":
        lo = np.log(np.clip(prob, 1e-4, 1 - 1e-4) / np.clip(1 - prob, 1e-4, 1))
        span = _best_run(np.clip(lo, -4, 4))
        inside = np.zeros(len(prob), dtype=bool)
        if span is not None:
            inside[span[0] : span[1]] = True
        out = (inside & (prob > 0.3)) | (prob > 0.9)
        return out
    if how == "hybrid":  # today's decision, overruled only where the model is sure
        out = (kept & (prob > 0.1)) | (prob > 0.9)
        return out
    raise ValueError(how)
