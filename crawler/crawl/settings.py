"""Scrapy settings of the `corpus` crawl: polite and defensive by default.

`crawler.crawl.runner` adds the per-job values (USER_AGENT with the contact, JOBDIR, the dataset,
the sources) on top, and the values that come from corpus.toml's `[settings]` (one source of
truth, documented there): DOWNLOAD_MAXSIZE = `max_input_bytes`, CORPUS_BATCH_SIZE =
`batch_size`, CORPUS_WORKERS = the crawl's worker count (`run_crawl.scrapy_settings`).
`corpus crawl --set NAME=VALUE` overrides any of them.
"""

BOT_NAME = "corpus"
SPIDER_MODULES = ["crawler.crawl.spiders"]
NEWSPIDER_MODULE = "crawler.crawl.spiders"

# Politeness: robots.txt, adaptive delays, few parallel requests per site.
ROBOTSTXT_OBEY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_DELAY = 0.25
CONCURRENT_REQUESTS = 32
CONCURRENT_REQUESTS_PER_DOMAIN = 4
COOKIES_ENABLED = False  # news pages need no session; cookies only track us

# Robustness: bounded time, size and redirects; retries with backoff (crawler.crawl.middlewares).
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
REDIRECT_MAX_TIMES = 5
DOWNLOAD_FAIL_ON_DATALOSS = True  # a truncated body is an error (`truncated`), never a page
RETRY_TIMES = 3
CORPUS_RETRY_BACKOFF_BASE = 1.0
CORPUS_RETRY_BACKOFF_MAX = 60.0

# Link traps (endless calendars, parameter variants): followed links of one URL shape that has
# given no article stop after this many pages per source (crawler.crawl.spiders.news).
CORPUS_MAX_PAGES_PER_SHAPE = 50

# Breadth-first: index pages (and the articles they list) before deep links.
DEPTH_PRIORITY = 1
# FIFO in memory while the crawl runs, written to Scrapy's PickleFifoDiskQueue in JOBDIR when
# it stops (crawler.crawl.queues: the same files, without pickling every request twice)
SCHEDULER_DISK_QUEUE = "crawler.crawl.queues.MemoryFirstDiskQueue"
CORPUS_QUEUE_MEMORY_REQUESTS = 100_000  # per queue; past that, the queue goes on on disk
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"

# Optional HTTP cache (corpus crawl --http-cache DIR): replays pages for a day.
HTTPCACHE_ENABLED = False
HTTPCACHE_EXPIRATION_SECS = 24 * 3600
HTTPCACHE_IGNORE_HTTP_CODES = [500, 502, 503, 504, 408, 429]

# Security: no local consoles that can run code; no requests to non-public addresses.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
CORPUS_ALLOW_PRIVATE = False
CORPUS_ALLOWED_NETWORKS: list[str] = []
TWISTED_DNS_RESOLVER = "crawler.crawl.netguard.GuardedResolver"

DOWNLOADER_MIDDLEWARES = {
    "crawler.crawl.netguard.AddressGuardMiddleware": 40,  # first: before any other component acts
    "crawler.crawl.middlewares.SeenUrlMiddleware": 70,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.crawl.middlewares.SharedRobotsTxtMiddleware": 100,  # Scrapy's, fixed: see docstring
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.crawl.middlewares.BackoffRetryMiddleware": 550,
    # after the redirect (600) and decompression (590) middlewares in the response's way:
    # responses are archived as they came, a 301 and a gzip body too
    "crawler.crawl.warc_archive.WarcArchiveMiddleware": 650,
}
DUPEFILTER_CLASS = "crawler.crawl.middlewares.CorpusDupeFilter"
ITEM_PIPELINES = {"crawler.crawl.pipelines.CorpusPipeline": 300}
EXTENSIONS = {"crawler.crawl.log.CrawlLog": 0, "crawler.crawl.progress.ProgressFile": 0}

# The item pipeline cleans pages in CORPUS_WORKERS worker processes (0: in the crawl process)
# and stages them in batches of CORPUS_BATCH_SIZE: both set from corpus.toml by run_crawl.
# Fetching does not wait for cleaning: the pipeline queues each article and returns; at most
# CORPUS_QUEUE_PAGES pages or CORPUS_QUEUE_BYTES bytes wait for a worker (then Scrapy stops
# fetching until there is room), handed to the workers CORPUS_PAGES_PER_CALL at a time. While
# the workers start (until their first call returns), only CORPUS_QUEUE_BYTES bounds it.
CORPUS_QUEUE_PAGES = 64
CORPUS_QUEUE_BYTES = 64 * 1024 * 1024
CORPUS_PAGES_PER_CALL = 8
# Items of one response processed at once. Scrapy starts this many asyncio tasks for every
# response (its default, 100, cost more CPU than the rest of the fetch loop's Scrapy part);
# a response yields one item at most, and the pipeline returns at once unless its queue is full.
CONCURRENT_ITEMS = 4
# the function that runs a page through the chain in a worker (a dotted path; tests swap it)
CORPUS_CLEAN_PAGE = "crawler.crawl.page_worker.clean_page"
CORPUS_MAX_EVENTS = 5000
# The raw-page archive (crawler.crawl.warc_archive): every fetched response as WARC in the
# dataset's _warc/, a new file past this size. Off: --set CORPUS_WARC=false.
CORPUS_WARC = True
CORPUS_WARC_MAX_BYTES = 1_000_000_000
# gzip level of each record (1..9): 1 costs the fetch loop a quarter of warcio's 9, for
# archives ~15 % larger; 9 for the smallest archive
CORPUS_WARC_GZIP_LEVEL = 1
CORPUS_CONTACT = ""

# Scrapy re-reads and parses the callback's source (inspect + ast) to warn about a generator
# that returns a value, for nearly every response: its cache is keyed by the bound method,
# which dies with each request. A developer's aid costing ~6 % of the fetch loop's CPU; the
# spider's callbacks return no value (tests/crawler/crawl/test_fetch_loop.py checks).
WARN_ON_GENERATOR_RETURN_VALUE = False

LOG_LEVEL = "INFO"
DEFAULT_DROPITEM_LOG_LEVEL = "INFO"
