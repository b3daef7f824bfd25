"""Monitoring: history rules over the store, schedules, incremental re-crawls, run reports, notifications.

The history rules (``nianbao.rules.history``) see earlier reports through a
:class:`~nianbao.rules.histories.History` (``nianbao.storage.history.StoreHistory`` over the store, or in
memory for tests); ``nianbao.monitor.audit``
runs them after a crawl and stores their findings; ``nianbao.monitor.plans``/``nianbao.monitor.scheduler`` run
the plans of ``schedules/*.toml``; ``nianbao.monitor.conditional`` makes re-crawls cheap (ETag /
Last-Modified); ``nianbao.monitor.sitestats`` records per-site figures of a crawl; ``nianbao.monitor.notify``
sends the digest of new findings.
"""
