"""The crawl's spiders (Scrapy's SPIDER_MODULES)."""
