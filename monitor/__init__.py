"""Monitoring: history rules over the store, schedules, incremental re-crawls, run reports, notifications.

``monitor.history`` gives the history rules (``rules.history``) earlier reports through a
:class:`~monitor.history.History` (over the store, or in memory for tests); ``monitor.audit``
runs them after a crawl and stores their findings; ``monitor.plans``/``monitor.scheduler`` run
the plans of ``schedules/*.toml``; ``monitor.conditional`` makes re-crawls cheap (ETag /
Last-Modified); ``monitor.sitestats`` records per-site figures of a crawl; ``monitor.notify``
sends the digest of new findings.
"""
