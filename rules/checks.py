"""Imports every single-report rule module so that each registers itself (see ``nianbao.rules.registry``)."""

from __future__ import annotations

from nianbao.rules import arithmetic, content, narrative, structure, timeliness  # noqa: F401
