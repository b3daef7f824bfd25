"""Rules: reports (and their history) to findings. See ``docs/domain/rules.md``.

Each rule is a small function registered by name with :func:`rule`; :func:`audit` runs every
single-report rule.  Rules never fetch, never parse, never store.
"""

from __future__ import annotations

from nianbao.rules.registry import RULES, AuditContext, audit, rule  # noqa: F401
