"""`python -m crawler.crawl JOB.json REPORT.json [PROGRESS.json]`: one crawl job in this process
(`crawler.crawl.runner.main`; `crawler.crawl.job` starts it so).

The crawl's page workers start from a forkserver, and a worker imports the module its parent
was started with (`-m`) unless that module is a package's `__main__`: started as
`crawler.crawl.runner`, every worker imported the runner and with it Scrapy and Twisted
(~0.3 s of CPU each); started as this module, none does.
"""

import sys

from crawler.crawl.runner import main

if __name__ == "__main__":
    sys.exit(main())
