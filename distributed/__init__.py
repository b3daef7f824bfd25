"""Scale out: many crawler and parse processes on many machines, one SQLite store, Redis in between.

* crawling: scrapy-redis (shared request queue and seen-request filter) plus a reliable
  in-flight record per process (:mod:`nianbao.distributed.frontier`), a per-host token bucket shared
  by every process (:mod:`nianbao.distributed.politeness`) and an idle rule that stops the workers when
  the frontier is empty and no one is busy (:mod:`nianbao.distributed.coordinator`);
* documents: crawlers push each candidate report (metadata + raw bytes) to a Redis stream;
  ``nianbao store`` (the single writer) commits them and acknowledges after commit;
* parsing: RQ jobs run by ``nianbao worker`` read the documents and hand the report back to
  the single writer through a second stream.

The single-machine mode (``nianbao crawl --db``) does not import this package.
"""
