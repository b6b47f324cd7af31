"""The served widget: one file, small enough for every page of a customer's site to carry."""

from __future__ import annotations

import gzip

from parley.api.web import WEB_DIR

# 11.1 KiB before business hours' "back at" (Intl dates, one alarm) and the email ask (12.3 KiB with them).
WIDGET_GZIP_BUDGET = 13 * 1024


def test_the_widget_stays_within_its_gzipped_budget() -> None:
    """Measured as a browser receives it compressed; `make widget` builds it, `make test` checks it is current."""
    script = (WEB_DIR / "widget.js").read_bytes()
    assert len(gzip.compress(script, 9)) <= WIDGET_GZIP_BUDGET
    assert script.startswith(b"/*! Parley chat widget."), "the embed instructions head the file"
