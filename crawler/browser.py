"""What the browser may skip loading (``PLAYWRIGHT_ABORT_REQUEST``): images, fonts, media, styles."""

from __future__ import annotations

ABORTED_RESOURCE_TYPES = frozenset({"image", "font", "media", "stylesheet"})


def abort_request(request) -> bool:
    """True for sub-resources a list or challenge page never needs (never the page itself)."""
    if request.is_navigation_request():
        return False
    return request.resource_type in ABORTED_RESOURCE_TYPES
