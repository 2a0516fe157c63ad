"""Cheap checks of option values, made by commands before any expensive work."""

from __future__ import annotations

from sarslide.errors import ConfigError


def check_time_option(value: str | None, option: str) -> None:
    """Refuse a date/time option that is not ISO 8601 (None passes: the default applies)."""
    if value is None:
        return
    # imported when the check runs (see sarslide.cli)
    import pandas as pd

    try:
        pd.Timestamp(value)
    except (ValueError, TypeError) as err:
        raise ConfigError(
            f"Invalid {option} {value!r}: not an ISO 8601 date or time ({err}). "
            "Use e.g. 2018-09-06 or 2018-09-06T18:08."
        ) from None
