"""Time windows from what people type: `7d`, `2016-07-01`, "last week", "yesterday", "in March",
"the first week of March"."""

import re
from calendar import month_name
from datetime import UTC, date, datetime, timedelta

_DURATION = re.compile(r"^(\d+)\s*([hdwm])$")
_BARE_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
# a date followed by a noun, not by a preposition or the end: "the May 2015 meetup"
_ATTRIBUTIVE = re.compile(r"\s+(?!(?:and|or|to|in|on|at|for|of|from|with|by|about)\b)[a-z#]")
_MONTHS = {name.lower(): n for n, name in enumerate(month_name) if name}
_ORDINALS = ["first", "second", "third", "fourth", "last"]
# "the first week of March" (a window, and no topic: `intent` takes it out of the search)
WEEK_OF_MONTH = re.compile(
    rf"\b(?:the\s+)?({'|'.join(_ORDINALS)})\s+week\s+of\s+({'|'.join(_MONTHS)})\b"
    r"(?:\s+(\d{4})\b)?",
    re.I,
)

# A month that names the window, not an event: "in March 2016", "during July" ("the August
# 2015 data jam" names the event)
MONTH_WINDOW = re.compile(rf"(?<!the )\b(?:{'|'.join(_MONTHS)})\b", re.I)


def parse_moment(value: str, now: datetime) -> datetime:
    """A duration back from `now` (`7d`, `24h`, `2w`, `3m` months) or an ISO date or time."""
    text = value.strip().lower()
    if match := _DURATION.match(text):
        amount, unit = int(match[1]), match[2]
        if unit == "m":
            return now - timedelta(days=30 * amount)
        return now - amount * _UNITS[unit]
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise ValueError(
            f"not a time: {value!r}; use a duration such as 7d or 24h, or a date such as 2016-07-01"
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_end(value: str, now: datetime) -> datetime:
    """The end of a window as people type it: a bare date includes that day (`--until
    2016-07-31` covers July 31st), anything else is `parse_moment`'s moment."""
    moment = parse_moment(value, now)
    return moment + timedelta(days=1) if _BARE_DATE.fullmatch(value.strip()) else moment


def window_words(since: datetime | None, until: datetime | None) -> str:
    """A window in words, its end as the last day it includes (`until` is exclusive):
    " from 2016-07-01 to 2016-07-31"; empty for no window."""
    if not since and not until:
        return ""
    start = f"{since:%Y-%m-%d}" if since else "the start"
    end = f"{until - timedelta(microseconds=1):%Y-%m-%d}" if until else "now"
    return f" from {start} to {end}"


def window_in(text: str, now: datetime) -> tuple[datetime | None, datetime | None]:
    """The time window a question names, or (None, None)."""
    lowered = text.lower()
    today = _midnight(now.date())
    if week := _week_of_month(lowered, now):
        return week
    if "yesterday" in lowered:
        return today - timedelta(days=1), today
    if "today" in lowered:
        return today, None
    week_start = today - timedelta(days=now.weekday())
    if "last week" in lowered:
        return week_start - timedelta(weeks=1), week_start
    if "this week" in lowered:
        return week_start, None
    month_start = today.replace(day=1)
    if "last month" in lowered:
        return (month_start - timedelta(days=1)).replace(day=1), month_start
    if "this month" in lowered:
        return month_start, None
    if match := re.search(r"(?:last|past) (\d+) (day|week)s?", lowered):
        unit = timedelta(days=1) if match[2] == "day" else timedelta(weeks=1)
        return now - int(match[1]) * unit, None
    if match := re.search(r"\b(\d{4}-\d{2}-\d{2})\b", text):
        start = _midnight(date.fromisoformat(match[1]))
        if re.search(r"\b(since|after|from)\s+" + match[1], lowered):
            return start, None
        if re.search(r"\b(before|until)\s+" + match[1], lowered):
            return None, start
        return start, start + timedelta(days=1)
    months = "|".join(_MONTHS)
    if match := re.search(r"\b(" + months + r")\s+(?:of\s+)?(\d{4})\b", lowered):
        start, end = _month(int(match[2]), _MONTHS[match[1]])
        if _ATTRIBUTIVE.match(lowered, match.end()) and lowered[: match.start()].endswith("the "):
            # "the August 2015 data jam" names an event: it is planned the month before and
            # followed up the month after, and messages about it are the ones asked for
            return _month(*_shifted(start, -1))[0], _month(*_shifted(start, 1))[1]
        return start, end
    if match := re.search(r"\bin (" + months + r")\b", lowered):
        month = _MONTHS[match[1]]
        return _month(_latest_year(month, now), month)
    if match := re.search(r"\b(?:in|during)\s+((?:19|20)\d{2})\b", lowered):
        year = int(match[1])
        return _midnight(date(year, 1, 1)), _midnight(date(year + 1, 1, 1))
    return None, None


def _week_of_month(lowered: str, now: datetime) -> tuple[datetime, datetime] | None:
    """ "the first week of March [2024]": days 1-7 of the month (the second, 8-14; the last, its
    final seven days), of the last such month when no year is named."""
    match = WEEK_OF_MONTH.search(lowered)
    if not match:
        return None
    month = _MONTHS[match[2]]
    year = int(match[3]) if match[3] else _latest_year(month, now)
    end = _month(year, month)[1]
    if match[1] == "last":
        return end - timedelta(weeks=1), end
    start = _midnight(date(year, month, 1)) + timedelta(weeks=_ORDINALS.index(match[1]))
    return start, min(end, start + timedelta(weeks=1))


def _latest_year(month: int, now: datetime) -> int:
    """The year of the last such month up to now ("in November", said in March)."""
    return now.year if month <= now.month else now.year - 1


def _shifted(start: datetime, months: int) -> tuple[int, int]:
    """The (year, month) `months` away from the month starting at `start`."""
    index = start.year * 12 + start.month - 1 + months
    return index // 12, index % 12 + 1


def _month(year: int, month: int) -> tuple[datetime, datetime]:
    """The window of one calendar month."""
    start = _midnight(date(year, month, 1))
    end = _midnight(date(year + (month == 12), month % 12 + 1, 1))
    return start, end


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
