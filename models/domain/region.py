"""The region whose phone numbers callers give without a country code: this process's, set once
from the settings at start (`agent_tui.options`, the server's `create_app`, an import's reading
process from its plan). Its own module, light, so that setting it costs the start nothing;
`phone` reads it."""

from __future__ import annotations

DEFAULT_REGION = "CN"
_region = DEFAULT_REGION


def set_region(code: str) -> None:
    """Read numbers without a country code as `code`'s (ISO 3166 alpha-2: CN, US, GB ...)."""
    global _region
    _region = (code or DEFAULT_REGION).upper()


def region() -> str:
    return _region
