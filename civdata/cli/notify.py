"""python -m civdata notify run [--once]: scan for events and send the outbox."""

from __future__ import annotations

import argparse
import logging
import os
from datetime import time

from sqlalchemy import Engine

from civdata.core.errors import CivDataError
from civdata.core.schema import init_db
from civdata.io.notify import events, sender


def daily_at(value: str | None, environ: dict[str, str] | None = None) -> time:
    """Return the daily report's time: value, else CIVDATA_NOTIFY_DAILY_AT, else 08:00."""
    env = os.environ if environ is None else environ
    text = (value or env.get("CIVDATA_NOTIFY_DAILY_AT") or "").strip()
    if not text:
        return events.DAILY_AT
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise CivDataError("invalid_value", field="daily-at", detail=f"{text} (HH:MM)") from None


def run_cli(engine: Engine, args: argparse.Namespace) -> int:
    """Run the sender once or until interrupted; print what one round did."""
    at = daily_at(args.daily_at)
    init_db(engine)
    if not args.once:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
        try:
            sender.run_forever(engine, interval_s=args.interval, daily_at=at)
        except KeyboardInterrupt:
            return 0
    result = sender.run_once(engine, daily_at=at)
    if not result.held:
        print("another sender holds the lease; nothing sent")
        return 0
    d = result.delivery
    print(f"queued {result.queued}, sent {d.sent}, retried {d.retried}, failed {d.failed}")
    return 0
