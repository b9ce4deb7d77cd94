"""A generated news site served on 127.0.0.1, for crawl tests and the crawl benchmark.

`build_site(base, n_articles)` makes the pages (index, sections, a tag page, articles with
realistic chrome, a sitemap, an RSS feed, robots.txt) plus traps: an article under a tracking
URL and an AMP copy, a page that answers 500 then 200, a redirect loop, redirects to private
addresses, a 20 MB response, a binary file named .html, a robots.txt-disallowed article, a
paywalled stub. `NewsSite` serves them from a ThreadingHTTPServer in a thread (port 0) and
counts the requests it gets.

With `faults=True` the site also misbehaves the way real servers do (linked from the home page):
answers slower than any test's download timeout (`/faults/slow.html`: nothing for
FAULT_SECONDS; `/faults/drip.html`: a byte at a time), a connection reset in the middle of a
body (RST), a body shorter than its Content-Length, HTML served as application/octet-stream and
as text/plain, two articles whose header charset contradicts the page (UTF-8 under an
iso-8859-1 header, windows-1252 under a UTF-8 header), an endless calendar
(`/calendar/2024/01/` and `/calendar/?month=2024-01&view=grid`, each linking to the months
around it forever), links that try path traversal, and URLs carrying SECRET (a feed item link
with an access token, a link with user:password@, a slow page with an api_key). `robots="error"`
makes robots.txt answer 500, `robots="slow"` never answer in time.
"""

from __future__ import annotations

import html
import json
import random
import re
import socket
import struct
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

BIG_BYTES = 21 * 1024 * 1024  # over the one size limit, max_input_bytes (20 MiB)
FAULT_SECONDS = 30.0  # slow pages and robots.txt: far beyond the tests' DOWNLOAD_TIMEOUT
SECRET = "s3cr3t-fixture-credential"  # in fault-site URLs: must never be logged or stored
ACCENTED = " Officials in Zürich and São Paulo called the café talks “naïve” — but useful."
# served by the handler, not from build_site's pages
FAULTS = {
    "/faults/slow.html": "slow",
    "/faults/drip.html": "drip",
    "/faults/reset.html": "reset",
    "/faults/truncated.html": "truncated",
}
_CALENDAR_PATH = re.compile(r"^/calendar/(\d{4})/(\d{2})/$")

_SUBJECTS = [
    "The foreign ministry",
    "A senior envoy",
    "Regional analysts",
    "The defence minister",
    "Opposition lawmakers",
    "A coalition of aid groups",
    "The central bank",
    "Border officials",
    "Diplomats in Geneva",
    "The prime minister's office",
    "Local militia leaders",
    "A parliamentary committee",
    "Energy traders",
    "Humanitarian agencies",
    "Security experts",
    "The trade delegation",
    "Provincial governors",
    "A group of retired generals",
]
_VERBS = [
    "warned about",
    "pushed back against",
    "quietly welcomed",
    "called for talks on",
    "raised fresh doubts over",
    "announced a review of",
    "signalled support for",
    "questioned the timing of",
    "outlined new terms for",
    "sharply criticised",
    "promised funding for",
    "delayed a decision on",
    "released figures on",
    "sought clarity on",
]
_OBJECTS = [
    "the pipeline agreement",
    "the ceasefire monitoring mission",
    "grain export quotas",
    "the new sanctions package",
    "river water sharing",
    "the refugee return plan",
    "arms deliveries",
    "the disputed customs regime",
    "the election timetable",
    "airspace restrictions",
    "the debt restructuring deal",
    "port access rights",
    "mining concessions",
    "the prisoner exchange",
    "visa rules for students",
]
_PLACES = [
    "Kabul",
    "Tashkent",
    "Islamabad",
    "Astana",
    "Doha",
    "Tehran",
    "Dushanbe",
    "Bishkek",
    "Ashgabat",
    "Ankara",
    "Baku",
    "Yerevan",
    "Tbilisi",
    "New Delhi",
    "Beijing",
    "Moscow",
]
_CLAUSES = [
    "according to two officials familiar with the discussions",
    "a move that surprised several neighbouring governments",
    "although no timetable has been published",
    "citing concerns raised during last month's summit",
    "despite repeated objections from business groups",
    "as negotiators prepared for another round of meetings",
    "while markets reacted with caution",
    "in a statement released late in the evening",
    "after weeks of speculation in the local press",
    "even as shipments continued at a reduced pace",
]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
SECTIONS = ("world", "asia", "europe")


def _sentence(rng: random.Random, n: int) -> str:
    return (
        f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} in "
        f"{rng.choice(_PLACES)} on {rng.choice(_DAYS)}, {rng.choice(_CLAUSES)}, "
        f"with {rng.randint(2, 990)} officials and {rng.randint(3, 97)} observers noting item {n}."
    )


@dataclass(frozen=True)
class Article:
    slug: str
    title: str
    section: str
    paragraphs: list[str]
    author: str
    date: str


@dataclass
class Page:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(
        default_factory=lambda: {"Content-Type": "text/html; charset=utf-8"}
    )


def make_articles(n: int, seed: int = 7) -> list[Article]:
    rng = random.Random(seed)
    articles = []
    for i in range(n):
        paragraphs = [
            " ".join(_sentence(rng, i * 100 + p * 10 + s) for s in range(rng.randint(3, 5)))
            for p in range(rng.randint(6, 10))
        ]
        title = f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} ({i:04d})"
        articles.append(
            Article(
                slug=f"a-{i:04d}",
                title=title,
                section=SECTIONS[i % len(SECTIONS)],
                paragraphs=paragraphs,
                author=rng.choice(["Amina Rahimi", "Jonas Keller", "Li Wen", "Sara Novak"]),
                date=f"2026-0{1 + i % 9}-{10 + i % 18:02d}",
            )
        )
    return articles


def _chrome_head(title: str, extra: str = "") -> str:
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}"
        f" | The Fixture Post</title>{extra}</head><body>"
        "<header><a href='/'>The Fixture Post</a><nav><ul>"
        + "".join(f"<li><a href='/section/{s}/'>{s.title()}</a></li>" for s in SECTIONS)
        + "<li><a href='/tag/taliban/'>Taliban</a></li><li><a href='/about.html'>About</a></li>"
        "<li><a href='/login'>Log in</a></li><li><a href='/subscribe'>Subscribe</a></li>"
        "</ul></nav></header>"
        "<div class='cookie-banner'>We use cookies to improve your experience. Accept all</div>"
    )


_FOOTER = (
    "<footer><ul><li><a href='/about.html'>About us</a></li><li><a href='/contact'>Contact</a>"
    "</li><li><a href='/privacy'>Privacy policy</a></li><li><a href='/terms'>Terms of use</a>"
    "</li></ul><p>© 2026 The Fixture Post. All rights reserved.</p></footer></body></html>"
)


def article_page(
    a: Article,
    base: str,
    related: list[Article],
    *,
    meta: bool = True,
    canonical: str | None = None,
) -> str:
    url = canonical or f"{base}/articles/{a.slug}.html"
    head = ""
    if meta:
        ld = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": a.title,
            "datePublished": a.date,
            "author": {"@type": "Person", "name": a.author},
        }
        head = (
            f"<link rel='canonical' href='{url}'><meta property='og:type' content='article'>"
            f"<meta property='og:title' content='{html.escape(a.title)}'>"
            f"<meta name='author' content='{a.author}'>"
            f"<meta property='article:published_time' content='{a.date}T08:00:00Z'>"
            f"<script type='application/ld+json'>{json.dumps(ld)}</script>"
        )
    body = "".join(f"<p>{html.escape(p)}</p>" for p in a.paragraphs)
    rel = "".join(
        f"<li><a href='/articles/{r.slug}.html'>{html.escape(r.title)}</a></li>" for r in related
    )
    comments = "".join(
        f"<div class='comment'><b>reader{k}</b><p>I think this is an important story and "
        f"more people should read it, thanks for the coverage number {k}.</p></div>"
        for k in range(3)
    )
    return (
        _chrome_head(a.title, head)
        + f"<nav class='breadcrumb'><a href='/'>Home</a> › <a href='/section/{a.section}/'>"
        f"{a.section.title()}</a></nav><main><article><h1>{html.escape(a.title)}</h1>"
        f"<p class='byline'>By {a.author} · {a.date}</p>"
        "<div class='share'><a href='#'>Share on X</a> <a href='#'>Facebook</a></div>"
        f"<div class='entry-content'>{body}</div></article>"
        "<div class='newsletter'>Sign up for our daily briefing. Enter your email</div>"
        f"<aside class='related'><h3>Related stories</h3><ul>{rel}</ul></aside>"
        f"<section class='comments'><h3>3 comments</h3>{comments}</section></main>" + _FOOTER
    )


def listing_page(
    title: str,
    items: list[tuple[str, Article]],
    extra_links: list[str],
    *,
    og_type: str = "website",
    ld_type: str | None = "CollectionPage",
) -> str:
    head = f"<meta property='og:type' content='{og_type}'>"
    if ld_type:
        head += f"<script type='application/ld+json'>{json.dumps({'@type': ld_type})}</script>"
    cards = "".join(
        f"<article class='card'><h2><a href='{href}'>{html.escape(a.title)}</a></h2>"
        f"<p>{html.escape(a.paragraphs[0][:160])}…</p></article>"
        for href, a in items
    )
    more = "".join(f"<li><a href='{h}'>{html.escape(h)}</a></li>" for h in extra_links)
    return (
        _chrome_head(title, head) + f"<main><h1>{title}</h1>{cards}<ul>{more}</ul></main>" + _FOOTER
    )


def calendar_page(year: int, month: int, view: str | None) -> str:
    """One month of an endless calendar: links to the months around it, and to the same month
    under query-parameter variants. No articles, ever."""

    def month_href(delta: int, as_view: str | None) -> str:
        y, m = divmod(year * 12 + month - 1 + delta, 12)
        if as_view is None:
            return f"/calendar/{y:04d}/{m + 1:02d}/"
        return f"/calendar/?month={y:04d}-{m + 1:02d}&view={as_view}"

    links = [month_href(-1, view), month_href(1, view)]
    links += [month_href(0, v) for v in ("grid", "list") if v != view]
    title = f"Events calendar {year:04d}-{month:02d}"
    return listing_page(title, [], links).replace("</h1>", "</h1><p>No events.</p>")


def fault_pages(base: str, n_articles: int) -> tuple[dict[str, Page], list[str]]:
    """The static pages of a faulty site, and the links to every fault (see the module doc)."""
    extra = make_articles(n_articles + 8)[n_articles + 4 :]
    octet, plain, latin1, cp1252 = extra[0], extra[1], extra[2], extra[3]

    def accented(a: Article) -> Article:
        return Article(
            a.slug, a.title, a.section, [p + ACCENTED for p in a.paragraphs], a.author, a.date
        )

    def html_page(a: Article, ctype: str, encoding: str = "utf-8") -> Page:
        text = article_page(a, base, [])
        if encoding != "utf-8":
            text = text.replace("<meta charset='utf-8'>", f"<meta charset='{encoding}'>")
        return Page(body=text.encode(encoding), headers={"Content-Type": ctype})

    pages = {
        "/faults/octet-stream": html_page(octet, "application/octet-stream"),
        "/faults/plain.html": html_page(plain, "text/plain; charset=utf-8"),
        "/faults/utf8-under-latin1.html": html_page(
            accented(latin1), "text/html; charset=iso-8859-1"
        ),
        "/faults/cp1252-under-utf8.html": html_page(
            accented(cp1252), "text/html; charset=utf-8", "windows-1252"
        ),
        "/feed.xml": Page(
            body=(
                "<?xml version='1.0'?><rss version='2.0'><channel><title>Fixture Post</title>"
                f"<item><link>{base}/articles/a-0000.html?access_token={SECRET}</link></item>"
                "</channel></rss>"
            ).encode(),
            headers={"Content-Type": "application/rss+xml"},
        ),
    }
    host = base.split("://", 1)[1]
    links = [
        *FAULTS,
        f"/faults/slow.html?api_key={SECRET}",
        *(p for p in pages if p != "/feed.xml"),
        "/calendar/2024/01/",
        "/calendar/?month=2024-01&view=grid",
        "/../../../../etc/passwd",
        "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/files/..%2f..%2f..%2fescape.html",
        f"http://reader:{SECRET}@{host}/articles/a-0001.html",
    ]
    return pages, links


def build_site(
    base: str,
    n_articles: int = 32,
    *,
    traps: bool = True,
    faults: bool = False,
    per_page: int = 12,
) -> dict[str, Page]:
    """Every static page of the site by path (dynamic ones are served by the handler)."""
    arts = make_articles(n_articles)
    pages: dict[str, Page] = {}

    def put(path: str, text: str, ctype: str = "text/html; charset=utf-8") -> None:
        pages[path] = Page(body=text.encode(), headers={"Content-Type": ctype})

    for i, a in enumerate(arts):
        related = [arts[(i + k) % len(arts)] for k in (1, 2, 5, 9)]
        put(f"/articles/{a.slug}.html", article_page(a, base, related, meta=(i != 5)))

    href = {a.slug: f"/articles/{a.slug}.html" for a in arts}
    trap_links: list[str] = []
    if traps:
        href[arts[7].slug] += "?utm_source=home&utm_medium=web&fbclid=XYZ"  # tracking URL
        extra = make_articles(n_articles + 4)[n_articles:]
        flaky, private, paywall = extra[0], extra[1], extra[2]
        put(
            "/amp/articles/a-0003.html",
            article_page(arts[3], base, [], canonical=f"{base}/articles/a-0003.html"),
        )
        put(f"/private/{private.slug}.html", article_page(private, base, []))
        flaky_url = f"{base}/articles/flaky.html"
        pages["/articles/flaky.html"] = Page(
            body=article_page(flaky, base, [], canonical=flaky_url).encode()
        )
        stub = Article(
            "paywall",
            "Subscribers only: " + paywall.title,
            "world",
            ["Officials met on Monday to discuss the plan."],
            paywall.author,
            paywall.date,
        )
        put(
            "/articles/paywall.html",
            article_page(stub, base, []).replace(
                "</article>",
                "<div class='paywall'><p>This article is available to subscribers only. Subscribe "
                "now to continue reading and get unlimited access to all our journalism, "
                "newsletters and archives on any device. Already a subscriber? Log in to read "
                "the full story, and manage your subscription in your account settings.</p></div>"
                "</article>",
            ),
        )
        pages["/loop/a"] = Page(302, b"", {"Location": "/loop/b"})
        pages["/loop/b"] = Page(302, b"", {"Location": "/loop/a"})
        pages["/go/metadata"] = Page(
            302, b"", {"Location": "http://169.254.169.254/latest/meta-data/"}
        )
        pages["/go/intranet"] = Page(302, b"", {"Location": "http://10.0.0.1/admin.html"})
        pages["/files/report.html"] = Page(
            body=b"%PDF-1.7\n" + bytes(range(256)) * 64, headers={"Content-Type": "text/html"}
        )
        trap_links = [
            "/articles/flaky.html",
            "/loop/a",
            "/go/metadata",
            "/go/intranet",
            "/big.html",
            "/files/report.html",
            "/missing.html",
            f"/private/{private.slug}.html",
            "/articles/paywall.html",
        ]

    if faults:
        broken, fault_links = fault_pages(base, n_articles)
        trap_links += fault_links

    n_pages = max(1, -(-len(arts) // per_page))
    for p in range(n_pages):
        chunk = arts[p * per_page : (p + 1) * per_page]
        nav = [f"/page/{p + 2}/"] if p + 1 < n_pages else []
        path = "/" if p == 0 else f"/page/{p + 1}/"
        put(
            path,
            listing_page(
                "Latest news" if p == 0 else f"Latest news, page {p + 1}",
                [(href[a.slug], a) for a in chunk],
                nav + (trap_links if p == 0 else []),
            ),
        )
    for s in SECTIONS:
        in_section = [a for a in arts if a.section == s][:per_page]
        put(f"/section/{s}/", listing_page(s.title(), [(href[a.slug], a) for a in in_section], []))
    tagged = arts[: min(10, len(arts))]
    tag_links = ["/amp/articles/a-0003.html"] if traps else []
    # A tag page that wrongly declares og:type article: the features must still call it a listing.
    put(
        "/tag/taliban/",
        listing_page(
            "Taliban",
            [(href[a.slug], a) for a in tagged],
            tag_links,
            og_type="article",
            ld_type=None,
        ),
    )
    put("/about.html", _chrome_head("About") + "<main><p>About us.</p></main>" + _FOOTER)

    urls = "".join(f"<url><loc>{base}/articles/{a.slug}.html</loc></url>" for a in arts)
    put(
        "/sitemap.xml",
        f"<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/"
        f"sitemap/0.9'>{urls}</urlset>",
        "application/xml",
    )
    items = "".join(
        f"<item><title>{html.escape(a.title)}</title><link>{base}/articles/{a.slug}.html"
        f"{'?utm_source=rss' if i == 0 else ''}</link></item>"
        for i, a in enumerate(arts[-10:])
    )
    put(
        "/feed.xml",
        f"<?xml version='1.0'?><rss version='2.0'><channel><title>Fixture Post"
        f"</title>{items}</channel></rss>",
        "application/rss+xml",
    )
    put("/robots.txt", "User-agent: *\nDisallow: /private/\n", "text/plain")
    if faults:
        pages.update(broken)  # its feed replaces the regular one
    return pages


class _Server(ThreadingHTTPServer):
    request_queue_size = 512  # http.server's default backlog of 5 drops connections under load
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # the crawler hung up (a timeout, a reset page): expected, not news
        super().handle_error(request, client_address)


class NewsSite:
    """The site on http://127.0.0.1:<port>, with a count of requests per path."""

    def __init__(
        self,
        n_articles: int = 32,
        *,
        traps: bool = True,
        faults: bool = False,
        robots: str | None = None,  # None, "error" (500) or "slow" (never in time)
        per_page: int = 12,
    ) -> None:
        self.requests: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._flaky_seen = False
        self._stopping = threading.Event()
        self.faults = dict(FAULTS) if faults else {}
        if robots is not None:
            self.faults["/robots.txt"] = robots
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

            def do_GET(self) -> None:
                site._handle(self)

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.pages = build_site(
            self.base, n_articles, traps=traps, faults=faults, per_page=per_page
        )
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return self.base + path

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        path = h.path
        with self._lock:
            self.requests[path] += 1
        plain = path.split("?", 1)[0]
        if plain == "/big.html":
            self._send_big(h)
            return
        if plain in self.faults:
            self._send_fault(h, self.faults[plain])
            return
        page = self.pages.get(plain) or (self._calendar(path) if self.faults else None)
        if plain == "/articles/flaky.html":
            with self._lock:
                first, self._flaky_seen = not self._flaky_seen, True
            if first:
                page = Page(500, b"temporarily unavailable", {"Content-Type": "text/plain"})
        if page is None:
            page = Page(404, b"<html><body><p>Not found</p></body></html>")
        h.send_response(page.status)
        for k, v in page.headers.items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(page.body)))
        h.end_headers()
        h.wfile.write(page.body)

    @staticmethod
    def _calendar(path: str) -> Page | None:
        parts = urlsplit(path)
        month = _CALENDAR_PATH.match(parts.path)
        view = None
        if month is None and parts.path == "/calendar/":
            query = parse_qs(parts.query)
            month = re.match(r"^(\d{4})-(\d{2})$", query.get("month", [""])[0])
            view = query.get("view", ["grid"])[0]
        if month is None:
            return None
        text = calendar_page(int(month.group(1)), int(month.group(2)), view)
        return Page(body=text.encode())

    def _send_fault(self, h: BaseHTTPRequestHandler, fault: str) -> None:
        """slow: nothing for FAULT_SECONDS; drip: a byte every 0.2 s; reset: half the body, then
        RST; truncated: a body shorter than its Content-Length; error: a 500."""
        h.close_connection = True
        body = article_page(make_articles(1, seed=99)[0], self.base, []).encode()
        try:
            if fault == "slow" and self._stopping.wait(FAULT_SECONDS):
                return
            h.send_response(500 if fault == "error" else 200)
            h.send_header("Content-Type", "text/html; charset=utf-8")
            missing = 10_000 if fault == "truncated" else 0
            h.send_header("Content-Length", str(len(body) + missing))
            h.end_headers()
            if fault == "drip":
                for byte in body:
                    h.wfile.write(bytes([byte]))
                    if self._stopping.wait(0.2):
                        return
            elif fault == "reset":
                h.wfile.write(body[: len(body) // 2])
                h.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                h.connection.close()  # linger 0: the kernel sends RST, not FIN
            else:
                h.wfile.write(body)  # truncated: then the connection closes, short of its length
        except OSError:  # the crawler gave up on us, as it should
            return

    @staticmethod
    def _send_big(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", str(BIG_BYTES))
        h.end_headers()
        chunk = b"<p>" + b"x" * 65530 + b"</p>"
        try:
            for _ in range(BIG_BYTES // len(chunk)):
                h.wfile.write(chunk)
        except OSError:  # the crawler hung up, as it should
            return

    def fetched(self, prefix: str) -> dict[str, int]:
        """Requests per path for paths under prefix."""
        with self._lock:
            return {p: n for p, n in self.requests.items() if p.startswith(prefix)}

    def start(self) -> NewsSite:
        self.thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self.server.shutdown()
        self.server.server_close()


def static_site(pages: dict[str, bytes], content_type: str = "text/html") -> NewsSite:
    """A site serving exactly these pages (404 for any other path); start() it."""
    site = NewsSite(0, traps=False)
    site.pages = {p: Page(body=b, headers={"Content-Type": content_type}) for p, b in pages.items()}
    return site


@contextmanager
def serve(n_articles: int = 32, **kwargs: Any) -> Iterator[NewsSite]:
    site = NewsSite(n_articles, **kwargs).start()
    try:
        yield site
    finally:
        site.stop()


FAST = {  # loopback only: no politeness delays, quick retries
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "CORPUS_RETRY_BACKOFF_BASE": 0.05,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
}


def site_job(site: NewsSite, out: Any, **job: Any) -> Any:
    """A crawl job for the whole site: home page, sitemap and feed; loopback allowed."""
    from crawler.crawl.job import CrawlJob
    from crawler.crawl.sources import Source

    source = Source(
        name="fixture",
        start_urls=(site.url("/"),),
        sitemaps=(site.url("/sitemap.xml"),),
        feeds=(site.url("/feed.xml"),),
        # the private addresses are "allowed domains" so that the address guard, not the
        # offsite filter, is what refuses the redirects to them
        allowed_domains=("127.0.0.1", "10.0.0.1", "169.254.169.254"),
        article_pattern=r"/articles/",
        max_pages=job.pop("max_pages", 500),
        max_depth=job.pop("max_depth", 3),
    )
    settings = {**FAST, **job.pop("scrapy_settings", {})}
    job.setdefault("allowed_networks", ("127.0.0.0/8",))
    return CrawlJob(sources=(source,), out=str(out), scrapy_settings=settings, **job)
