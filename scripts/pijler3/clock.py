"""The one clock of the package: every recorded time (audit events, step records, manifests, key bundles) in UTC."""

from __future__ import annotations

import datetime as dt


def utc_timestamp() -> str:
    """Now, in UTC to the second, as ``YYYY-MM-DDTHH:MM:SSZ``."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
