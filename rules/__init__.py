"""Rules: reports (and their history) to findings. See ``docs/domain/rules.md``.

Each single-report rule is a small function listed by its catalog name in
:mod:`nianbao.rules.registry`, whose :func:`~nianbao.rules.registry.audit` runs them all; the rules
that need history are in :mod:`nianbao.rules.history`.  Rules never fetch, never parse, never store.
"""
