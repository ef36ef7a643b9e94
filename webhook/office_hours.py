"""When advocates answer: weekly hours in the organisation's time zone, minus its holidays."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import FrozenSet, Optional
from zoneinfo import ZoneInfo

from webhook.directory import DAYS, Hours, parse_hours

STEP = timedelta(minutes=15)  # openings start on a quarter hour in any sane schedule
LOOKAHEAD = timedelta(days=21)  # long enough to skip a holiday season


@dataclass(frozen=True)
class OfficeHours:
    """Weekly hours ("mon-fri 09:00-17:00") in a time zone, closed on the listed dates."""

    hours: Hours
    zone: str
    holidays: FrozenSet[date] = frozenset()

    @classmethod
    def parse(cls, spec: str, zone: str, holidays: str = "") -> "OfficeHours":
        """From settings: hours separated by ";", ISO dates separated by ","."""
        ZoneInfo(zone)  # an unknown zone fails at start-up, not at the first handoff
        days = frozenset(date.fromisoformat(d.strip()) for d in holidays.split(",") if d.strip())
        return cls(parse_hours(spec.split(";")), zone, days)

    def is_open(self, when: datetime) -> bool:
        """True when an advocate is on duty at the aware instant `when`."""
        if when.astimezone(ZoneInfo(self.zone)).date() in self.holidays:
            return False
        return bool(self.hours.is_open(when, self.zone))

    def next_opening(self, when: datetime) -> Optional[datetime]:
        """The next time the office opens, in its own zone; None if never within three weeks."""
        local = when.astimezone(ZoneInfo(self.zone))
        quarter = local.replace(minute=local.minute - local.minute % 15, second=0, microsecond=0)
        probe = quarter + STEP
        while probe - local < LOOKAHEAD:
            if self.is_open(probe):
                return probe
            probe += STEP
        return None


def opening_spec(opening: datetime) -> str:
    """An opening as "mon 09:00", for the content store to say in the person's language."""
    return f"{DAYS[opening.weekday()]} {opening:%H:%M}"
