"""Workbench views: one module per page family."""
