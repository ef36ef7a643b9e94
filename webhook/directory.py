"""Provider directory for self-referral: national services, an organisation's local list, lookup.

Usage: python -m webhook.directory import FILE.csv
       python -m webhook.directory find --need housing [--zip 94110] [--state CA] [--language es]
"""

from __future__ import annotations

import argparse
import csv
import functools
import os
import re
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from webhook.yamlfile import read_yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
DIRECTORY_DIR = REPO_ROOT / "content" / "directory"
NATIONAL_FILE = DIRECTORY_DIR / "national.yml"
ZIP_TABLE_FILE = DIRECTORY_DIR / "zip3_states.csv"
# The organisation's own local list; never defaults to the example file.
ENV_FILE = "PUENTE_DIRECTORY_FILE"

HOTLINE_ID = "national-human-trafficking-hotline"
DEFAULT_LIMIT = 3
SERVICES = frozenset(
    {
        "housing",
        "legal_immigration",
        "legal_wages",
        "medical",
        "counselling",
        "food",
        "repatriation",
        "money_owed",
        "crisis",
        "emergency",
        "hotline",
    }
)
CONFIDENTIALITY = frozenset({"ask", "stated", "law_enforcement"})
ALWAYS_OPEN = "24/7"
HOURS_UNKNOWN = "unknown"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAILY = "daily"
MINUTES_PER_DAY = 24 * 60

LIST_SEPARATOR = ";"
CSV_REQUIRED = ("id", "name", "services", "languages", "hours", "last_verified", "source")
CSV_FIELDS = (
    "id",
    "name",
    "services",
    "national",
    "states",
    "zip_prefixes",
    "languages",
    "interpreter",
    "hours",
    "timezone",
    "phone",
    "text",
    "text_keyword",
    "text_languages",
    "tty",
    "web",
    "eligibility",
    "confidentiality",
    "last_verified",
    "source",
    "notes",
)
CONTACT_FIELDS = ("phone", "text", "text_keyword", "text_languages", "tty", "web")
AREA_FIELDS = ("national", "states", "zip_prefixes")
TRUE_WORDS = frozenset({"yes", "true", "y", "1"})
FALSE_WORDS = frozenset({"no", "false", "n", "0", ""})

# Ranks: lower sorts first.
AREA_RANK = {"zip": 0, "state": 1, "national": 2}
OPEN_RANK = {True: 0, None: 1, False: 2}

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
PHONE_PATTERN = re.compile(r"^\+?[0-9][0-9 ().-]*$")
KEYWORD_PATTERN = re.compile(r"^[A-Za-z0-9]{1,20}$")
LANGUAGE_PATTERN = re.compile(r"^[a-z]{2,3}$")
STATE_PATTERN = re.compile(r"^[A-Z]{2}$")
ZIP_PREFIX_PATTERN = re.compile(r"^[0-9]{3,5}$")
ZIP_PATTERN = re.compile(r"^([0-9]{5})(?:-?[0-9]{4})?$")
TIME_RANGE = re.compile(r"^([0-9]{2}):([0-9]{2})-([0-9]{2}):([0-9]{2})$")


class DirectoryError(ValueError):
    """A directory file with problems; `problems` names each row, field and why."""

    def __init__(self, path: str, problems: Sequence["Problem"]) -> None:
        self.path = path
        self.problems = list(problems)
        lines = [f"{path}: {len(self.problems)} problem(s)"]
        lines += [f"  row {p.row}, {p.field}: {p.reason}" for p in self.problems]
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class Problem:
    """One bad field: the row (CSV: spreadsheet row, header = 1; YAML: entry number)."""

    row: int
    field: str
    reason: str


@dataclass(frozen=True)
class Opening:
    """One weekly opening; an end at or before the start runs past midnight."""

    day: int  # 0 = Monday, as datetime.weekday()
    start: int  # minutes after local midnight
    end: int  # minutes after midnight, 1..1440; <= start means the next day

    def contains(self, weekday: int, minute: int) -> bool:
        """Whether the local weekday and minute fall in this opening."""
        if self.start < self.end:
            return weekday == self.day and self.start <= minute < self.end
        if weekday == self.day and minute >= self.start:
            return True
        return weekday == (self.day + 1) % 7 and minute < self.end


@dataclass(frozen=True)
class Hours:
    """When a provider answers: always, unknown, or weekly openings in its own time zone."""

    spec: Tuple[str, ...]
    always: bool = False
    known: bool = True
    openings: Tuple[Opening, ...] = ()

    def is_open(self, when: datetime, zone: Optional[str]) -> Optional[bool]:
        """Open at the aware instant `when`; None when the hours are unknown."""
        if self.always:
            return True
        if not self.known or zone is None:
            return None
        # Wall-clock time in the provider's zone, so DST shifts the UTC instants, not the hours.
        local = when.astimezone(ZoneInfo(zone))
        minute = local.hour * 60 + local.minute
        return any(o.contains(local.weekday(), minute) for o in self.openings)


@dataclass(frozen=True)
class Contact:
    """How to reach a provider; at least one of phone, text, tty or web."""

    phone: Optional[str] = None
    text: Optional[str] = None
    text_keyword: Optional[str] = None
    text_languages: Tuple[str, ...] = ()
    tty: Optional[str] = None
    web: Optional[str] = None


@dataclass(frozen=True)
class Provider:
    """One service a person can contact, with where, when and in which languages it answers."""

    id: str
    name: str
    services: Tuple[str, ...]
    languages: Tuple[str, ...]
    hours: Hours
    contact: Contact
    last_verified: date
    source: str
    national: bool = False
    states: Tuple[str, ...] = ()
    zip_prefixes: Tuple[str, ...] = ()
    interpreter: bool = False
    timezone: Optional[str] = None
    eligibility: str = ""
    confidentiality: str = "ask"
    notes: str = ""

    def area_for(self, zip_code: Optional[str], state: Optional[str]) -> Optional[Tuple[str, str]]:
        """The closest way this provider serves the place: (zip|state|national, reason) or None."""
        if zip_code:
            fitting = [p for p in self.zip_prefixes if zip_code.startswith(p)]
            if fitting:
                return "zip", f"zip_prefix:{max(fitting, key=len)}"
        if state and state in self.states:
            return "state", f"state:{state}"
        if self.national:
            return "national", "national"
        return None

    def language_fit(self, language: Optional[str]) -> str:
        """speaks, interpreter, none, or any (no language asked)."""
        if not language:
            return "any"
        if language in self.languages:
            return "speaks"
        return "interpreter" if self.interpreter else "none"

    def open_at(self, when: datetime) -> Optional[bool]:
        """Open at the aware instant; None when the hours are unknown."""
        return self.hours.is_open(when, self.timezone)


@dataclass(frozen=True)
class Match:
    """A provider that fits a request, whether it is open now, and why it was chosen (ids)."""

    provider: Provider
    open_now: Optional[bool]
    area: str
    language_fit: str
    reasons: Tuple[str, ...] = field(default_factory=tuple)


# ---------------------------------------------------------------- ZIP Codes


@functools.lru_cache(maxsize=4)
def _zip_table(path: Path = ZIP_TABLE_FILE) -> Dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    rows = csv.DictReader(line for line in lines if line and not line.startswith("#"))
    return {row["prefix"]: row["state"] for row in rows}


def known_states() -> frozenset:
    """Every state, territory and military mail code the ZIP table knows."""
    return frozenset(_zip_table().values())


def normalize_zip(zip_code: str) -> Optional[str]:
    """The 5-digit ZIP Code of '94110' or '94110-1234'; None when it is not one."""
    found = ZIP_PATTERN.match(zip_code.strip())
    return found.group(1) if found else None


def zip_to_state(zip_code: str) -> Optional[str]:
    """The USPS state code of a ZIP Code (longest prefix in the table wins); None if unknown."""
    zip5 = normalize_zip(zip_code)
    if zip5 is None:
        return None
    table = _zip_table()
    for length in (5, 4, 3):
        state = table.get(zip5[:length])
        if state:
            return state
    return None


# ---------------------------------------------------------------- parsing and validation


def parse_hours(items: Iterable[str]) -> Hours:
    """Parse '24/7', 'unknown', or ranges like 'mon-fri 09:00-17:00', 'fri 22:00-02:00'."""
    spec = tuple(item.strip() for item in items if item.strip())
    if not spec:
        raise ValueError("missing: write 24/7, unknown, or ranges like 'mon-fri 09:00-17:00'")
    lowered = [item.lower() for item in spec]
    if lowered in ([ALWAYS_OPEN], [HOURS_UNKNOWN]):
        return Hours(spec=spec, always=lowered[0] == ALWAYS_OPEN, known=lowered[0] == ALWAYS_OPEN)
    openings: List[Opening] = []
    for item in lowered:
        parts = item.split()
        if len(parts) != 2:
            raise ValueError(
                f"{item!r}: expected 'DAYS HH:MM-HH:MM' (24/7 and unknown stand alone)"
            )
        start, end = _time_range(parts[1], item)
        openings += [Opening(day, start, end) for day in _days(parts[0], item)]
    return Hours(spec=spec, openings=tuple(openings))


def _days(text: str, item: str) -> List[int]:
    if text == DAILY:
        return list(range(7))
    days: List[int] = []
    for part in text.split(","):
        first, _, last = part.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise ValueError(f"{item!r}: days are {', '.join(DAYS)} or {DAILY}, e.g. mon-fri")
        a, b = DAYS.index(first), DAYS.index(last or first)
        # fri-mon wraps past Sunday.
        days += [(a + i) % 7 for i in range((b - a) % 7 + 1)]
    return days


def _time_range(text: str, item: str) -> Tuple[int, int]:
    found = TIME_RANGE.match(text)
    if not found:
        raise ValueError(f"{item!r}: times are HH:MM-HH:MM, 24-hour clock")
    h1, m1, h2, m2 = (int(g) for g in found.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if h1 > 23 or m1 > 59 or m2 > 59 or end > MINUTES_PER_DAY:
        raise ValueError(f"{item!r}: not a time of day (00:00-24:00)")
    if end == start:
        raise ValueError(f"{item!r}: opens and closes at the same time; use 24/7 for always")
    return start, end


def _as_list(value: Any) -> List[str]:
    """A YAML list or a CSV cell joined with ';' as a list of trimmed strings."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    return [v.strip() for v in str(value).split(LIST_SEPARATOR) if v.strip()]


def _as_text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = _as_text(value).lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"{value!r}: write yes or no")


def _language_code(code: str) -> str:
    """A valid ISO 639 code, lower-cased; 2-letter codes are checked against Babel's list."""
    lowered = code.lower()
    if not LANGUAGE_PATTERN.match(lowered):
        raise ValueError(f"{code!r}: not an ISO 639 code (2 or 3 letters, e.g. es, tl, mam)")
    # ISO 639-3 has about 8,000 codes and no list ships with Puente: 3 letters are taken on trust.
    if len(lowered) == 2 and lowered not in _iso_639_1():
        raise ValueError(f"{code!r}: not an ISO 639-1 code")
    return lowered


@functools.lru_cache(maxsize=1)
def _iso_639_1() -> frozenset:
    from babel import Locale  # a locked dependency; imported only when a file is checked

    return frozenset(code for code in Locale("en").languages if len(code) == 2)


def _phone(value: str) -> str:
    digits = re.sub(r"[^0-9]", "", value)
    if not PHONE_PATTERN.match(value) or not 3 <= len(digits) <= 15:
        raise ValueError(f"{value!r}: not a phone number or short code")
    return value


class _Checker:
    """Collects problems for one row while turning its raw values into Provider fields."""

    def __init__(self, row: int) -> None:
        self.row = row
        self.problems: List[Problem] = []

    def check(self, name: str, convert, *args: Any) -> Any:
        try:
            return convert(*args)
        except (ValueError, TypeError) as error:
            self.problems.append(Problem(self.row, name, str(error)))
            return None

    def fail(self, name: str, reason: str) -> None:
        self.problems.append(Problem(self.row, name, reason))


def _services(values: List[str]) -> Tuple[str, ...]:
    if not values:
        raise ValueError("missing: at least one service")
    unknown = [v for v in values if v not in SERVICES]
    if unknown:
        raise ValueError(
            f"unknown service {', '.join(unknown)} (known: {', '.join(sorted(SERVICES))})"
        )
    return tuple(values)


def _states(values: List[str]) -> Tuple[str, ...]:
    states = tuple(v.upper() for v in values)
    bad = [v for v in states if not STATE_PATTERN.match(v) or v not in known_states()]
    if bad:
        raise ValueError(f"unknown state code {', '.join(bad)} (USPS codes, e.g. CA, PR)")
    return states


def _zip_prefixes(values: List[str]) -> Tuple[str, ...]:
    for value in values:
        if not ZIP_PREFIX_PATTERN.match(value):
            raise ValueError(f"{value!r}: a ZIP prefix is 3 to 5 digits, e.g. 941")
        if value[:3] not in _zip_table():
            raise ValueError(f"{value!r}: no such USPS 3-digit ZIP prefix")
    return tuple(values)


def _languages(values: List[str]) -> Tuple[str, ...]:
    if not values:
        raise ValueError("missing: at least one language code")
    return tuple(_language_code(v) for v in values)


def _text_languages(value: Any) -> Tuple[str, ...]:
    return tuple(_language_code(v) for v in _as_list(value))


def _timezone(value: str) -> Optional[str]:
    if not value:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r}: unknown IANA time zone, e.g. America/Los_Angeles") from None
    return value


def _web(value: str) -> str:
    if not re.match(r"^https?://[^\s/]+\.[^\s]+$", value):
        raise ValueError(f"{value!r}: a web address starts with https://")
    return value


def _keyword(value: str) -> str:
    if not KEYWORD_PATTERN.match(value):
        raise ValueError(f"{value!r}: one word of letters or digits")
    return value


def _date(value: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(_as_text(value))
    except ValueError:
        raise ValueError(f"{value!r}: a date as YYYY-MM-DD") from None


def _required_text(value: str) -> str:
    if not value:
        raise ValueError("missing")
    return value


def _provider_id(value: str) -> str:
    if not ID_PATTERN.match(value):
        raise ValueError(f"{value!r}: lower-case letters, digits, - and _ (at most 64)")
    return value


def _confidentiality(value: str) -> str:
    value = value or "ask"  # never promise what nobody has checked
    if value not in CONFIDENTIALITY:
        raise ValueError(f"{value!r}: one of {', '.join(sorted(CONFIDENTIALITY))}")
    return value


def _build(raw: Mapping[str, Any], row: int) -> Tuple[Optional[Provider], List[Problem]]:
    """Validate one provider's flat fields (CSV names) into a Provider, or list its problems."""
    c = _Checker(row)
    text = {name: _as_text(raw.get(name)) for name in CSV_FIELDS}
    values: Dict[str, Any] = {
        "id": c.check("id", _provider_id, text["id"]),
        "name": c.check("name", _required_text, text["name"]),
        "services": c.check("services", _services, _as_list(raw.get("services"))),
        "national": c.check("national", _as_bool, raw.get("national")),
        "states": c.check("states", _states, _as_list(raw.get("states"))),
        "zip_prefixes": c.check("zip_prefixes", _zip_prefixes, _as_list(raw.get("zip_prefixes"))),
        "languages": c.check("languages", _languages, _as_list(raw.get("languages"))),
        "interpreter": c.check("interpreter", _as_bool, raw.get("interpreter")),
        "hours": c.check("hours", parse_hours, _as_list(raw.get("hours"))),
        "timezone": c.check("timezone", _timezone, text["timezone"]),
        "eligibility": text["eligibility"],
        "confidentiality": c.check("confidentiality", _confidentiality, text["confidentiality"]),
        "last_verified": c.check("last_verified", _date, raw.get("last_verified")),
        "source": c.check("source", _required_text, text["source"]),
        "notes": text["notes"],
    }
    contact = Contact(
        phone=c.check("phone", _phone, text["phone"]) if text["phone"] else None,
        text=c.check("text", _phone, text["text"]) if text["text"] else None,
        text_keyword=c.check("text_keyword", _keyword, text["text_keyword"])
        if text["text_keyword"]
        else None,
        text_languages=c.check("text_languages", _text_languages, raw.get("text_languages")) or (),
        tty=c.check("tty", _phone, text["tty"]) if text["tty"] else None,
        web=c.check("web", _web, text["web"]) if text["web"] else None,
    )
    if not any(text[name] for name in ("phone", "text", "tty", "web")):
        c.fail("contact", "missing: at least one of phone, text, tty, web")
    if not (values["national"] or values["states"] or values["zip_prefixes"]):
        if not any(p.field in AREA_FIELDS for p in c.problems):
            c.fail("area", "missing: national, states or zip_prefixes")
    hours = values["hours"]
    if hours is not None and hours.openings and values["timezone"] is None and not text["timezone"]:
        c.fail("timezone", "missing: weekly hours need an IANA time zone")
    if c.problems:
        return None, c.problems
    return Provider(contact=contact, **values), []


def _flatten_yaml(entry: Mapping[str, Any]) -> Dict[str, Any]:
    """A national.yml entry (nested areas and contact) in the flat CSV field names."""
    flat = {k: v for k, v in entry.items() if k not in ("areas", "contact")}
    flat.update(entry.get("areas") or {})
    flat.update(entry.get("contact") or {})
    return flat


def _check_ids(providers: List[Tuple[int, Provider]], problems: List[Problem]) -> None:
    seen: Dict[str, int] = {}
    for row, provider in providers:
        if provider.id in seen:
            problems.append(Problem(row, "id", f"{provider.id!r} repeats row {seen[provider.id]}"))
        seen.setdefault(provider.id, row)


def load_national(path: Path = NATIONAL_FILE) -> List[Provider]:
    """The national providers in a YAML file (README.md in content/directory); raise on problems."""
    doc = read_yaml(Path(path)) or {}
    built: List[Tuple[int, Provider]] = []
    problems: List[Problem] = []
    for row, entry in enumerate(doc.get("providers") or [], start=1):
        unknown = set(_flatten_yaml(entry)) - set(CSV_FIELDS)
        problems += [Problem(row, name, "unknown field") for name in sorted(unknown)]
        provider, found = _build(_flatten_yaml(entry), row)
        problems += found
        if provider is not None:
            built.append((row, provider))
    _check_ids(built, problems)
    if problems:
        raise DirectoryError(str(path), problems)
    return [provider for _, provider in built]


def import_csv(path: Path) -> List[Provider]:
    """Validate a local providers CSV; raise DirectoryError naming every bad row and field."""
    # utf-8-sig: spreadsheets often save a byte-order mark before the header.
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        problems = [Problem(1, name, "unknown column") for name in header if name not in CSV_FIELDS]
        problems += [
            Problem(1, name, "missing column") for name in CSV_REQUIRED if name not in header
        ]
        if problems:
            raise DirectoryError(str(path), problems)
        built: List[Tuple[int, Provider]] = []
        for row, record in enumerate(reader, start=2):
            if None in record:
                problems.append(Problem(row, "(row)", "more cells than the header has columns"))
                continue
            if not any(_as_text(v) for v in record.values()):
                continue  # a blank line between groups of rows
            provider, found = _build(record, row)
            problems += found
            if provider is not None:
                built.append((row, provider))
    _check_ids(built, problems)
    if not built and not problems:
        problems.append(Problem(1, "(file)", "no providers"))
    if problems:
        raise DirectoryError(str(path), problems)
    return [provider for _, provider in built]


# ---------------------------------------------------------------- lookup


def _utc(now: Optional[datetime]) -> datetime:
    if now is None:
        return datetime.now(timezone.utc)
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    return now.astimezone(timezone.utc)


def _primary_language(language: Optional[str]) -> Optional[str]:
    """'es-MX' -> 'es'; None or '' -> None."""
    if not language:
        return None
    return re.split(r"[-_]", language.strip().lower(), maxsplit=1)[0] or None


class Directory:
    """National and local providers together, searched by need, place, language and hour."""

    def __init__(self, providers: Iterable[Provider]) -> None:
        self.providers: List[Provider] = list(providers)
        self._by_id: Dict[str, Provider] = {}
        for provider in self.providers:
            if provider.id in self._by_id:
                raise ValueError(f"provider id {provider.id!r} appears twice")
            self._by_id[provider.id] = provider

    def get(self, provider_id: str) -> Optional[Provider]:
        """The provider with this id, if any."""
        return self._by_id.get(provider_id)

    def find(
        self,
        need: str,
        state: Optional[str] = None,
        zip_code: Optional[str] = None,
        language: Optional[str] = None,
        now: Optional[datetime] = None,
        limit: int = DEFAULT_LIMIT,
    ) -> List[Match]:
        """At most `limit` providers for the need that serve the place, best first.

        Order: speaks the language (or has an interpreter), then open now (unknown hours between
        open and closed), then ZIP prefix, state, national, then speaking it over an interpreter.
        National providers serve every place, so when nothing local fits, the national ones for the
        need come back; when there are none, the list is empty and the caller shows hotline().
        """
        if need not in SERVICES:
            raise ValueError(f"unknown need {need!r}")
        when = _utc(now)
        zip5 = None
        if zip_code:
            zip5 = normalize_zip(zip_code)
            if zip5 is None:
                raise ValueError(f"not a ZIP Code: {zip_code!r}")
        # A ZIP is more precise than a state the person named, so its state wins.
        place_state = (zip_to_state(zip5) if zip5 else None) or (state.upper() if state else None)
        wanted = _primary_language(language)
        ranked = []
        for provider in self.providers:
            if need not in provider.services:
                continue
            area = provider.area_for(zip5, place_state)
            if area is None:
                continue
            match = self._match(provider, need, area, wanted, when)
            ranked.append((self._rank(match), match))
        ranked.sort(key=lambda pair: pair[0])
        return [match for _, match in ranked[: max(limit, 0)]]

    @staticmethod
    def _match(
        provider: Provider,
        need: str,
        area: Tuple[str, str],
        language: Optional[str],
        when: datetime,
    ) -> Match:
        fit = provider.language_fit(language)
        open_now = provider.open_at(when)
        reasons = [f"service:{need}", area[1]]
        if fit == "speaks":
            reasons.append(f"language:{language}")
        elif fit == "interpreter":
            reasons.append("interpreter")
        reasons.append({True: "open_now", False: "closed_now", None: "hours_unknown"}[open_now])
        return Match(provider, open_now, area[0], fit, tuple(reasons))

    @staticmethod
    def _rank(match: Match) -> tuple:
        return (
            match.language_fit == "none",
            OPEN_RANK[match.open_now],
            AREA_RANK[match.area],
            match.language_fit == "interpreter",
            match.provider.name.casefold(),
            match.provider.id,
        )


def hotline(directory: Directory) -> Provider:
    """The 24/7 National Human Trafficking Hotline, which callers add to every answer."""
    provider = directory.get(HOTLINE_ID)
    if provider is None:
        raise LookupError(f"the directory has no {HOTLINE_ID!r} (content/directory/national.yml)")
    return provider


def load_directory(
    local_file: Optional[Path] = None, national_file: Path = NATIONAL_FILE
) -> Directory:
    """The national providers plus, when given, an organisation's local CSV."""
    providers = load_national(national_file)
    if local_file:
        providers += import_csv(Path(local_file))
    return Directory(providers)


def directory_from_environment(environ: Optional[Mapping[str, str]] = None) -> Directory:
    """The directory with PUENTE_DIRECTORY_FILE's local providers, or national ones only."""
    environ = os.environ if environ is None else environ
    local = environ.get(ENV_FILE, "").strip()
    return load_directory(Path(local) if local else None)


# ---------------------------------------------------------------- command line


def _import_command(args: argparse.Namespace) -> int:
    try:
        providers = import_csv(Path(args.file))
    except DirectoryError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"{args.file}: {len(providers)} provider(s) valid")
    for provider in providers:
        areas = ["national"] if provider.national else []
        areas += list(provider.states) + list(provider.zip_prefixes)
        print(
            f"  {provider.id}\tservices={','.join(provider.services)}\tareas={','.join(areas)}"
            f"\tlanguages={','.join(provider.languages)}\thours={';'.join(provider.hours.spec)}"
        )
    return 0


def _find_command(args: argparse.Namespace) -> int:
    try:
        directory = load_directory(args.file) if args.file else directory_from_environment()
    except DirectoryError as error:
        print(error, file=sys.stderr)
        return 1
    # fromisoformat in Python 3.10 does not read a trailing Z.
    now = _utc(datetime.fromisoformat(args.now.replace("Z", "+00:00")) if args.now else None)
    matches = directory.find(args.need, args.state, args.zip, args.language, now, args.limit)
    always = hotline(directory)
    if always.id not in {m.provider.id for m in matches}:
        fit = always.language_fit(_primary_language(args.language))
        matches.append(Match(always, always.open_at(now), "national", fit, ("hotline",)))
    for match in matches:
        contact = match.provider.contact
        reach = [f"{k}={v}" for k, v in (("phone", contact.phone), ("text", contact.text)) if v]
        print(
            f"{match.provider.id}\t{match.provider.name}\topen_now={match.open_now}"
            f"\t{' '.join(match.reasons)}\t{' '.join(reach)}"
        )
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m webhook.directory")
    commands = parser.add_subparsers(dest="command", required=True)
    importing = commands.add_parser("import", help="validate a local providers CSV")
    importing.add_argument("file")
    importing.set_defaults(run=_import_command)
    finding = commands.add_parser("find", help="show the providers that fit a need")
    finding.add_argument("--need", required=True, choices=sorted(SERVICES))
    finding.add_argument("--state")
    finding.add_argument("--zip")
    finding.add_argument("--language")
    finding.add_argument("--now", help="ISO instant with offset, e.g. 2026-07-17T22:30:00+00:00")
    finding.add_argument("--limit", type=int, default=DEFAULT_LIMIT)
    finding.add_argument("--file", help=f"local CSV (default: ${ENV_FILE}, else national only)")
    finding.set_defaults(run=_find_command)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
