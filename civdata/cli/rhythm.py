"""`report daily` and `report monthly`: the campaign's daily report and monthly assessment."""

from __future__ import annotations

import argparse
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from civdata.core import models as m
from civdata.core.clock import today_local
from civdata.core.errors import CivDataError


def subdistrict_id_of(session: Session, code: str | None) -> int | None:
    """Return the id of the subdistrict with code (None for none); raise unknown_subdistrict."""
    if not code:
        return None
    found = session.scalar(select(m.Subdistrict.id).where(m.Subdistrict.code == code.strip()))
    if found is None:
        raise CivDataError("unknown_subdistrict", code=code)
    return int(found)


def run_report(session: Session, args: argparse.Namespace) -> int:
    """Write the daily (.docx/.md) or monthly (.xlsx/.docx) export named by args; return 0."""
    if args.kind == "daily":
        from civdata.domain.daily import daily_report
        from civdata.io.daily_export import write_daily

        day = args.day or today_local() - timedelta(days=1)
        report = daily_report(session, day, subdistrict_id_of(session, args.subdistrict))
        size = write_daily(report, args.out, args.lang)
        print(f"{args.out}: daily report {report['day']}, {size} bytes")
        return 0
    from civdata.domain.assessment import assessment_snapshot, month_of
    from civdata.io.monthly_export import write_monthly

    snapshot = assessment_snapshot(session, args.month or month_of(today_local()))
    size = write_monthly(snapshot, args.out, args.lang)
    print(f"{args.out}: monthly assessment {snapshot['month']} "
          f"({'record' if snapshot.get('record') else 'live'}), {size} bytes")
    return 0
