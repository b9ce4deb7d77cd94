"""Decide, for the documents of one run, which are new records and which merge into an existing
or a new record, as exact or near duplicates.

Documents are visited most complete first (most words, then content hash), so the kept text of
a group is its fullest version and the outcome does not depend on input order.

Candidates come from two indexes: the LSH bands of the MinHash signatures (records of the run
and of the dataset), and the run's records' paragraphs. MinHash estimates Jaccard similarity,
which is low when one text is much longer than the other (a short article inside a page whose
chrome survived cleaning, a partial repost); a shared paragraph finds such pairs whatever the
sizes. Both kinds of candidate are verified alike, by containment.

Cleaning is not perfect: on a repost framed in another site's chrome the cleaner may keep a
block of the frame and drop the article. So dedup also looks at each page as it was before
cleaning (`page_of`: the prose lines the cleaner removed, added to the kept text): a record
whose whole text is found inside a later page's prose is that page's article (its repost),
unless the later page's own kept text is prose that no other page of the run has (an article
of its own: two different articles in one frame share only the frame, which recurs) and reads
at least as much like article prose as the record (`prose_density`), or the run's cleaners
voted the record's text the article (kept on two pages or more). The other way round, a page's
kept text found inside a record's page merges into it only when the run's cleaners voted the
record's own kept text chrome (other pages removed those lines). A run record is compared
through its first near copies too (it keeps the fullest copy, often the one with most chrome).

Groups are transitive within a run: a text that matches several of the run's records (each a
copy of one article with its own chrome, too different from each other to match) joins them
into the first visited. And before any merge of two pages of the run, exact or near, a second
check (`apart`): two pages that each have much more article prose of their own than they share
are two articles in one frame (the same chrome kept by both cleaners), never merged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache, partial
from typing import Any

import numpy as np
import numpy.typing as npt

from crawler.dedup.index import DedupIndex
from crawler.dedup.lines import BoolArray, IntArray, Lines
from crawler.dedup.minhash import (
    U64,
    LSHIndex,
    containment,
    shared_count,
    shared_counts,
    shingle_set,
)
from crawler.dedup.resolution import EXACT, NEAR, Resolution, RunRows
from crawler.dedup.votes import PARAGRAPH_WORDS, Counts, count_run
from crawler.record import make_doc_id

# PARAGRAPH_WORDS (10, from crawler.dedup.votes): shorter lines ("Share this:", a byline) say
# nothing about the article
# a paragraph in more of the run's records is chrome: no evidence, and every candidate costs a
# containment check
PARAGRAPH_MOST = 8
# A text inside a larger one merges into it when it covers this share of it, or this share of
# its first LEAD_WORDS words (chosen on neardup/dragnet-train among 0.1/0.2/0.3 and 40/60 words,
# checked on bench/repost_set.py's set and neardup/dev: bench/neardup_eval.py)
MIN_COVER = 0.2
LEAD_WORDS = 60
LEAD_SHARE = 0.5
# A record found inside a page's prose must be an article, not a line or two
# (~25 words; its shingles)
PAGE_MATCH_MIN_SHINGLES = 20
# ... and the page's own kept text must be mostly prose other pages of the run have too
# (chrome of a shared frame); its words in prose lines found on no other page, at most
OWN_PROSE_MAX = 0.5
# A page's kept text inside a record's page: the record's own kept text must be mostly lines
# that other pages' cleaners removed (chrome its cleaner kept), at least this share of words
CHROME_VOTE_MIN = 0.5
# A prose line on more than this many pages of the run, and this share of them, is chrome (a
# blog platform's comment form); a repost is on a handful. Such lines are left out when texts
# are compared. A story syndicated to more pages than that merges only by its other lines.
COMMON_PAGES = 16
COMMON_SHARE = 0.01
PAGE_CACHE = 64
# Two pages are different articles in a shared frame (never merged) when each has at least
# OWN_MIN_WORDS words of article prose the other lacks, and OWN_RATIO times the prose they
# share (fixed before measuring; a repost shares its whole body, a frame shares chrome). A
# line is shared when SHARED_LINE of its shingles are in the other page.
OWN_MIN_WORDS = 40
# A record found inside a page whose cleaner kept other prose is still that page's article
# when the run voted it so: KEPT_SHARE of its prose words kept by the cleaners of KEPT_PAGES
# pages or more, at least as often as removed (0.5 and 2 chosen among 0.5/0.8 and 2/3 on
# neardup/dragnet-train, checked on neardup/dev and bench/repost_set.py's set)
KEPT_SHARE = 0.5
KEPT_PAGES = 2
# A run record is also compared through the first COPIES rows merged into it: the record keeps
# the fullest copy, often the one with the most chrome, and a repost may match a cleaner copy
COPIES = 3
# Chrome kept by one side's cleaner (a comment thread, a site blurb, a caption list) lowers the
# containment of two copies of one article; their prose lines (`prose_shingles`: PARAGRAPH_WORDS
# words or more, ending a sentence) hold the article and less of that chrome. Two texts whose plain
# containment is at least PROSE_GATE (they share half their text: a cost bound, prose
# containment is computed for those pairs only) merge when their prose lines' containment
# reaches the threshold, both have PAGE_MATCH_MIN_SHINGLES prose shingles, and the frame check
# (`apart`) does not keep them apart.
PROSE_GATE = 0.5
# the pages, shingles and lookups of each row free what they took, but the allocators keep
# freed pages for later: handed back this often (`release`), the loop's memory grew ~15 MB less
# at 20k rows (a few ms a call)
RELEASE_ROWS = 2000
OWN_RATIO = 3.0
SHARED_LINE = 0.5


def visit_order(row: Mapping[str, Any]) -> tuple[int, str, str]:
    """A row's place in the visit (`RunRows.visit_order` sorts a run's rows by it)."""
    return (-int(row["word_count"]), str(row["content_hash"]), str(row["source_uri"]))


def resolve(
    given: Sequence[Mapping[str, Any]] | RunRows,
    text_of: Callable[[int], str],
    index: DedupIndex,
    existing_texts: Callable[[list[str]], dict[str, str]],
    shingle_size: int,
    threshold: float,
    cache_size: int = 4096,
    page_of: Callable[[int], str] | None = None,
    vote: tuple[U64, Counts] | None = None,
    keys_of: Callable[[int], U64] | None = None,
    release: Callable[[], None] | None = None,
) -> Resolution:
    """Group the staged rows (source_uri, content_hash, word_count, signature: mappings or
    columns, `RunRows`; `text_of(i)` is row i's text, `page_of(i)` the prose lines its
    cleaner removed; `vote`: the run's vote on its pages' paragraphs,
    `crawler.dedup.votes.count_run` of them when not given;
    `keys_of(i)`: the sorted distinct keys of row i's page's paragraphs, made beforehand, so
    that a row without candidates is never tokenized here; `release()`, called every
    RELEASE_ROWS rows, may give the allocators' freed pages back) against each other and against
    the committed records in `index` (whose LSH bands it extends with the run's records).
    Shingle sets are computed only for candidate pairs, and only a bounded number are cached,
    and the outcome is kept in arrays by row (`Resolution`), so memory does not grow with the
    run beyond a few bytes a row, the LSH bands and the hashes of paragraphs found on two pages
    or more."""
    rows = given if isinstance(given, RunRows) else RunRows.of(given)
    result = Resolution(rows.sources)
    # a candidate is named as `Resolution.target` names what a row merges into: a record's
    # row, or -1 - k for the record under the key k in `index.lsh` (committed, or of an
    # earlier run); there, the run's record at row r is the key `base + r`
    base = index.claim(result)
    codes = rows.hash_codes()
    record_of_hash = np.full(int(codes.max(initial=-1)) + 1, -1, dtype=np.int32)
    copies = np.full((len(rows), COPIES), -1, dtype=np.int32)  # a record row's first near copies
    paragraphs = LSHIndex(1)  # paragraph hash -> the run's records whose page has it

    if page_of is not None and vote is None:
        vote = count_run((text_of(i), page_of(i)) for i in range(len(rows)))
    votes = _Votes(*vote, len(rows)) if page_of is not None and vote is not None else None

    @lru_cache(maxsize=PAGE_CACHE)  # mostly the row being resolved: a few suffice
    def page(i: int) -> _Page:
        return _Page(text_of(i), page_of(i) if page_of is not None else "")

    def shingles(view: _Page) -> tuple[U64, U64]:
        """The shingles of a kept text without its lines common in the run, and of its lead."""
        keep = votes.uncommon(view) if votes is not None else None
        return view.kept.shingles(shingle_size, keep), shingle_set(
            view.kept.lead(LEAD_WORDS, keep), shingle_size
        )

    @lru_cache(maxsize=cache_size)
    def run_shingles(i: int) -> tuple[U64, U64]:
        return shingles(page(i))

    @lru_cache(maxsize=PAGE_CACHE)
    def page_shingles(i: int) -> U64:
        return page(i).lines.shingles(shingle_size)

    def direct(own: U64, theirs: U64, lead: U64, common: int) -> float:
        """Containment of the smaller text in the larger (`common`: the shingles they share),
        when it covers the larger enough."""
        score = _contained(common, own, theirs)
        return score if score >= threshold and _covers(own, theirs, lead, common) else 0.0

    @lru_cache(maxsize=PAGE_CACHE)
    def run_prose(i: int) -> U64:
        return prose_shingles(page(i))

    def prose_shingles(view: _Page) -> U64:
        """The shingles of a kept text's prose lines (PARAGRAPH_WORDS words or more, ending a
        sentence) not common in the run."""
        prose = view.kept.prose(PARAGRAPH_WORDS)
        keep = votes.uncommon(view) if votes is not None else None
        return view.kept.shingles(shingle_size, prose if keep is None else prose & keep)

    def prose_match(
        own: U64, theirs: U64, lead: U64, i: int, their_prose: Callable[[], U64], common: int
    ) -> float:
        """Containment of the two texts' prose lines (`PROSE_GATE`), 0 when it is no evidence."""
        if _contained(common, own, theirs) < PROSE_GATE:
            return 0.0
        mine, other = run_prose(i), their_prose()
        if min(mine.size, other.size) < PAGE_MATCH_MIN_SHINGLES:
            return 0.0
        score = containment(mine, other)
        return score if score >= threshold and _covers(mine, other, lead) else 0.0

    @lru_cache(maxsize=PAGE_CACHE)
    def prose_words(i: int) -> int:
        """Words of a page's article prose (`prose_density`'s lines): what `apart` could find
        its own, at most."""
        lines = page(i).lines
        return int(lines.words[lines.prose(PARAGRAPH_WORDS)].sum())

    @lru_cache(maxsize=PAGE_CACHE)
    def apart(i: int, k: int) -> bool:
        """Whether rows i and k are two articles that share only chrome: each page has more
        article prose of its own (sentences the other page lacks) than the prose they share."""
        if votes is None or min(prose_words(i), prose_words(k)) < OWN_MIN_WORDS:
            return False
        for one, other in ((i, k), (k, i)):  # the second side only when the first has its own
            own, shared = _own_prose(votes, page(one), page_shingles(other), shingle_size)
            if own < max(OWN_MIN_WORDS, OWN_RATIO * shared):
                return False
        return True

    def article_in_page(i: int, theirs: U64, record: int | None, in_page: int | None) -> float:
        """Share of a record's shingles found in row i's page (`in_page`: how many, when
        counted beforehand), when row i's own kept text is mostly prose other pages have too,
        or reads less like article prose than the record's (`record`: its row, for a record of
        this run); 0 otherwise (no evidence)."""
        if votes is None or theirs.size < PAGE_MATCH_MIN_SHINGLES:
            return 0.0
        if in_page is None:
            in_page = shared_count(theirs, page_shingles(i))
        score = in_page / theirs.size
        if score < threshold:
            return 0.0
        if shares(i)[0] <= OWN_PROSE_MAX:
            return score
        if record is not None and density(record) > density(i):
            return score
        if record is not None and kept_share(record) >= KEPT_SHARE:
            return score
        return 0.0

    # a row's figures, asked for each candidate pair: kept for the rows asked most recently
    @lru_cache(maxsize=cache_size)
    def shares(i: int) -> tuple[float, float]:
        assert votes is not None
        return votes.shares(page(i))

    @lru_cache(maxsize=cache_size)
    def density(i: int) -> float:
        return page(i).kept.prose_density(PARAGRAPH_WORDS)

    @lru_cache(maxsize=cache_size)
    def kept_share(i: int) -> float:
        assert votes is not None
        return votes.kept_share(page(i))

    def text_match(
        i: int,
        own: U64,
        theirs: U64,
        lead: U64,
        record: int | None,
        prose: Callable[[], U64],
        common: int | None = None,
        in_page: int | None = None,
    ) -> float:
        """Row i against one text (`record`: its row, for a text of this run): its containment,
        the text inside row i's page, or their prose lines' containment; 0 for no evidence.
        `common` (the shingles own and theirs share) and `in_page` (theirs found in row i's
        page), when counted beforehand (`_Counted`)."""
        if common is None:
            common = shared_count(own, theirs)
        score = direct(own, theirs, lead, common) or article_in_page(i, theirs, record, in_page)
        return score or prose_match(own, theirs, lead, i, prose, common)

    def mostly_chrome(k: int) -> bool:
        """Whether the run's vote calls most of record k's own kept text chrome."""
        return votes is not None and shares(k)[1] >= CHROME_VOTE_MIN

    def own_in_page(own: U64, k: int) -> float:
        """Share of row i's shingles found in the page of the run's record k, when k's own kept
        text is mostly chrome by the run's vote (0 otherwise: no evidence)."""
        # the vote first: a page's shingles cost far more, and a run whose pages share their
        # chrome makes every record a candidate of every row
        if own.size < PAGE_MATCH_MIN_SHINGLES or not mostly_chrome(k):
            return 0.0
        score = shared_count(own, page_shingles(k)) / own.size
        return score if score >= threshold else 0.0

    chrome = np.full(len(rows), -1, dtype=np.int8)  # `mostly_chrome` of rows asked (1, 0)

    def worth_checking(own: U64, targets: npt.NDArray[np.int64], counted: _Counted) -> IntArray:
        """Which candidates the checks below could match: the hopeful ones (`_Counted`),
        and the run's records whose page could hold row i's text (`own_in_page`) or that have
        near copies to compare with; the others fail every check, by the same figures."""
        worth = counted.hopeful.copy()
        records = targets[~worth & (targets >= 0)]
        if records.size:
            if own.size >= PAGE_MATCH_MIN_SHINGLES and votes is not None:
                for k in records[chrome[records] < 0].tolist():
                    chrome[k] = mostly_chrome(k)
                page_too = chrome[records] == 1
            else:
                page_too = np.zeros(records.size, dtype=bool)
            roots = [result.root(k) for k in records.tolist()] if result.joined else records
            worth[~worth & (targets >= 0)] = page_too | (copies[roots, 0] >= 0)
        return np.flatnonzero(worth)

    def candidate_shingles(
        targets: list[int],
    ) -> tuple[dict[int, tuple[U64, U64]], dict[int, Callable[[], U64]]]:
        """Each candidate's shingles and its lead's (a committed record whose text is not
        found has none; one doc_id indexed twice, one); for the committed ones, a function
        giving their prose shingles (a run's record k: `run_prose(k)`)."""
        found = {k: run_shingles(k) for k in targets if k >= 0}
        prose: dict[int, Callable[[], U64]] = {}
        older = {index.doc_id(-1 - t): t for t in reversed(targets) if t < 0}
        if older:
            for doc_id, text in existing_texts(list(older)).items():
                view = _Page(text, "")
                found[older[doc_id]] = shingles(view)
                prose[older[doc_id]] = partial(prose_shingles, view)
        return found, prose

    def doc_id_of(target: int) -> str:
        return result.own_doc_id(target) if target >= 0 else index.doc_id(-1 - target)

    def root(target: int) -> int:
        """The record a record (of the run, or committed) now is: the one it joined, if any."""
        return result.root(target) if target >= 0 else target

    def merge(i: int, target: int, kind: int, similarity: float) -> None:
        if target < 0:
            result.merge(i, kind, similarity, doc_id=index.doc_id(-1 - target))
        else:
            result.merge(i, kind, similarity, target)

    for visited, i in enumerate(rows.visit_order().tolist()):
        if release is not None and visited % RELEASE_ROWS == RELEASE_ROWS - 1:
            release()
        record_row = int(record_of_hash[codes[i]])
        if record_row >= 0:  # the run's records' hashes first: a committed one merges below
            if not apart(i, record_row):
                result.merge(i, EXACT, 1.0, result.root(record_row))
                continue
        elif index.doc_by_hash and (committed := index.doc_by_hash.get(rows.content_hash(i))):
            result.merge(i, EXACT, 1.0, doc_id=committed)
            continue
        signature = np.frombuffer(rows.signature(i), dtype="<u4")
        own_paragraphs = keys_of(i) if keys_of is not None else np.unique(page(i).paragraphs[1])
        candidates = sorted(
            {k - base if k >= base else -1 - k for k in index.lsh.candidates(signature)}.union(
                paragraphs.candidates_of_hashes(own_paragraphs, PARAGRAPH_MOST)
            )
        )
        matched: list[tuple[float, int]] = []
        if candidates:
            own = run_shingles(i)[0]
            found, committed_prose = candidate_shingles(candidates)
            counted = _Counted(
                own,
                [theirs for theirs, _ in found.values()],
                threshold,
                partial(page_shingles, i) if votes is not None else None,
            )
            targets = list(found)
            for j in worth_checking(own, np.array(targets, dtype=np.int64), counted).tolist():
                target = targets[j]
                theirs, lead = found[target]
                record = target if target >= 0 else None
                score = 0.0
                if counted.hopeful[j]:  # else every check below but the record's fails
                    prose = committed_prose.get(target) or partial(run_prose, target)
                    common, in_page = counted.of(j)
                    score = text_match(i, own, theirs, lead, record, prose, common, in_page)
                if not score and record is not None:
                    score = own_in_page(own, record)
                    for k in copies[result.root(record)].tolist():
                        if score or k < 0:
                            break
                        score = text_match(i, own, *run_shingles(k), k, partial(run_prose, k))
                if not score:
                    continue
                if record is not None and apart(i, record):
                    continue
                matched.append((score, target))
        if matched:
            # the highest score; of equal ones, the greatest doc_id
            best = max(matched, key=lambda m: (m[0], doc_id_of(m[1])))
            target = _join(result, matched, best[1], apart, root)
            merge(i, target, NEAR, round(best[0], 4))
            if target >= 0:
                free = np.flatnonzero(copies[target] < 0)
                if free.size:
                    copies[target, free[0]] = i
            continue
        content = rows.content_hash(i)
        doc_id = make_doc_id(content)
        if record_row >= 0:  # the same text as a record it was kept apart from
            doc_id = make_doc_id(f"{content}:{rows.source(i)}")
        index.lsh.add(base + i, signature)
        record_of_hash[codes[i]] = i
        paragraphs.add_hashes(i, own_paragraphs)
        result.add_record(i, doc_id)
    return result


def _join(
    result: Resolution,
    matched: list[tuple[float, int]],
    best: int,
    apart: Callable[[int, int], bool],
    root: Callable[[int], int],
) -> int:
    """The record a document that matched several goes to (records named as
    `Resolution.target` names them: a row, or -1 - k for a committed one): the run's records
    it matched hold one article (each with other chrome around it), so they become one, kept
    by the first visited (the fullest text); committed records stay as they are.
    `result.joined` maps a joined record's row to the one kept (rows merged into it follow:
    `Resolution.root`)."""
    score: dict[int, float] = {}
    for value, target in matched:
        top = root(target)
        score[top] = max(score.get(top, 0.0), value)
    # the roots are records still standing (the run's, taken by row number)
    run_roots = sorted(t for t in score if t >= 0)
    if len(run_roots) < 2:
        return root(best)
    keep, *others = run_roots
    for other in others:
        if apart(keep, other):
            continue
        result.join(other, keep, round(score[other], 4))
    return keep


def _contained(common: int, a: U64, b: U64) -> float:
    """`containment(a, b)` of two sets that share `common` values."""
    if a.size == 0 or b.size == 0:
        return 0.0
    return common / min(a.size, b.size)


class _Counted:
    """A row's shingles counted against each of its candidates' at once (one C call each):
    the shingles they share, and (for a run with a vote) the candidate's found in the row's
    page; and which candidates any of `text_match`'s checks could find a match with
    (`hopeful`: the others fail them all, by the same figures)."""

    def __init__(
        self, own: U64, sets: list[U64], threshold: float, page: Callable[[], U64] | None
    ) -> None:
        self.common = shared_counts(own, sets)
        sizes = np.fromiter((s.size for s in sets), dtype=np.int64, count=len(sets))
        smaller = np.minimum(sizes, own.size)
        share = np.zeros(len(sets))
        np.divide(self.common, smaller, out=share, where=smaller > 0)  # `_contained`
        # `direct` needs threshold, `prose_match` PROSE_GATE
        self.hopeful = share >= min(threshold, PROSE_GATE)
        self.in_page: npt.NDArray[np.int64] | None = None
        # `article_in_page`: a candidate large enough, most of it in the row's page (counted
        # when one such candidate is not hopeful already: the page's shingles cost most)
        large = sizes >= PAGE_MATCH_MIN_SHINGLES
        if page is not None and (large & ~self.hopeful).any():
            self.in_page = shared_counts(page(), sets)
            found = np.zeros(len(sets))
            np.divide(self.in_page, sizes, out=found, where=large)
            self.hopeful |= large & (found >= threshold)

    def of(self, j: int) -> tuple[int, int | None]:
        """Candidate j's counts: shared with the row, found in its page (None: not counted)."""
        return int(self.common[j]), None if self.in_page is None else int(self.in_page[j])


def _covers(own: U64, theirs: U64, lead: U64, common: int | None = None) -> bool:
    """Whether a text mostly inside another is a repost of it rather than a block of it (a
    short article quoted in a related-stories list): it covers a good share of the other, or
    the other's lead (a partial repost keeps the start). `common`: the shingles they share,
    when counted."""
    if own.size >= theirs.size:
        return True
    if common is None:
        common = shared_count(own, theirs)
    return common >= MIN_COVER * theirs.size or (
        lead.size > 0 and shared_count(own, lead) >= LEAD_SHARE * lead.size
    )


class _Page:
    """A row's kept text and its page (the kept text, then the prose lines its cleaner
    removed), tokenized once; and the page's paragraphs (lines of PARAGRAPH_WORDS tokens or
    more: their numbers and keys), the kept text's first."""

    __slots__ = ("kept", "kept_paragraphs", "lines", "paragraphs")

    def __init__(self, text: str, removed: str) -> None:
        if removed:
            self.lines = Lines.of(f"{text}\n{removed}")
            self.kept = self.lines.head(text.count("\n") + 1, text)
        else:
            self.lines = self.kept = Lines.of(text)
        self.paragraphs = self.lines.paragraphs(PARAGRAPH_WORDS)
        at, keys = self.paragraphs
        inside = at < len(self.kept)
        self.kept_paragraphs = at[inside], keys[inside]


class _Votes:
    """For the paragraphs found on at least two pages of the run: on how many pages the
    cleaner kept each, and on how many it removed it (`crawler.dedup.votes`: a first pass
    over the run, in any order, in any process)."""

    def __init__(self, keys: U64, counts: Counts, n: int) -> None:
        self.keys, self.counts = keys, counts  # sorted keys; (kept, removed) pages of each
        self.pages = self.counts.sum(axis=0)
        self.most = max(COMMON_PAGES, COMMON_SHARE * n)

    def uncommon(self, page: _Page) -> BoolArray | None:
        """Which lines of a kept text are not its prose lines common in the run
        (`COMMON_PAGES`: what two texts share there is no evidence that they are one article);
        None when none is common."""
        at, keys = page.kept_paragraphs
        common = self.common_keys(keys)
        if not common.any():
            return None
        keep = np.ones(len(page.kept), dtype=bool)
        keep[at[common]] = False
        return keep

    def kept_share(self, page: _Page) -> float:
        """Share of the words of a kept text's prose lines that the cleaners of at least two
        pages kept, and kept at least as often as they removed them (the run's article)."""
        at, keys = page.kept_paragraphs
        if not at.size or not self.keys.size:
            return 0.0
        words = page.kept.words[at]
        at = np.minimum(np.searchsorted(self.keys, keys), self.keys.size - 1)
        found = self.keys[at] == keys
        kept, removed = self.counts[0][at], self.counts[1][at]
        voted = found & (kept >= KEPT_PAGES) & (kept >= removed)
        return float(words[voted].sum() / words.sum())

    def common_keys(self, keys: U64) -> npt.NDArray[np.bool_]:
        if not self.keys.size:
            return np.zeros(keys.size, dtype=bool)
        at = np.minimum(np.searchsorted(self.keys, keys), self.keys.size - 1)
        common: npt.NDArray[np.bool_] = (self.keys[at] == keys) & (self.pages[at] > self.most)
        return common

    def shares(self, page: _Page) -> tuple[float, float]:
        """Of the words of a kept text's prose lines: the share on no other page, and the
        share that other pages' cleaners mostly removed (chrome this page's cleaner kept)."""
        at, keys = page.kept_paragraphs
        if not at.size:
            return 0.0, 0.0
        words = page.kept.words[at]
        total = words.sum()
        if not self.keys.size:
            return 1.0, 0.0
        at = np.minimum(np.searchsorted(self.keys, keys), self.keys.size - 1)
        found = self.keys[at] == keys
        others_kept = np.where(found, self.counts[0][at] - 1, 0)
        removed = np.where(found, self.counts[1][at], 0)
        return float(words[~found].sum() / total), float(words[removed > others_kept].sum() / total)


def _own_prose(votes: _Votes, page: _Page, other: U64, shingle_size: int) -> tuple[int, int]:
    """Words of a page's article prose (lines of PARAGRAPH_WORDS words or more that end a
    sentence, not common in the run): those the other page lacks, and those it shares."""
    lines = page.lines
    at, keys = page.paragraphs
    prose = at[~votes.common_keys(keys) & lines.sentence[at]]
    if not prose.size:
        return 0, 0
    keep = np.zeros(len(lines), dtype=bool)
    keep[prose] = True
    hashes, line_of = lines.line_shingles(shingle_size, keep)
    at = np.minimum(np.searchsorted(other, hashes), max(other.size - 1, 0))
    found = other[at] == hashes if other.size else np.zeros(hashes.size, dtype=bool)
    total = np.bincount(line_of, minlength=prose.size)
    inside = np.bincount(line_of, weights=found, minlength=prose.size)
    words = lines.words[prose]
    shared = inside >= SHARED_LINE * np.maximum(total, 1)
    return int(words[~shared].sum()), int(words[shared].sum())


def prose_density(text: str) -> float:
    """Share of a text's words in lines of PARAGRAPH_WORDS words or more that end a sentence:
    an article's paragraphs, not a teaser list, a tweet stream or a comment thread's handles."""
    return Lines.of(text).prose_density(PARAGRAPH_WORDS)
