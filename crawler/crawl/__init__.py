"""The Scrapy project (settings, items, pipelines, middlewares, spiders/) and the crawl-only
helpers: a crawl job run in a child process, the address guard, feeds and sitemaps, page type,
the crawl log, progress and report."""
