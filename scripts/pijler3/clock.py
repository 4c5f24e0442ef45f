"""The one clock of the package: every recorded time (audit events, step records, manifests, key bundles) in UTC."""

from __future__ import annotations

import datetime as dt

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def utc_now() -> dt.datetime:
    """Now, in UTC to the second."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def utc_timestamp(moment: dt.datetime | None = None) -> str:
    """``moment`` (default: now) in UTC to the second, as ``YYYY-MM-DDTHH:MM:SSZ``."""
    return (moment or utc_now()).astimezone(dt.UTC).strftime(TIMESTAMP_FORMAT)


def parse_timestamp(text: str) -> dt.datetime:
    """The moment a ``utc_timestamp`` string names."""
    return dt.datetime.strptime(text, TIMESTAMP_FORMAT).replace(tzinfo=dt.UTC)
