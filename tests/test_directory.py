"""The provider directory: national list, CSV import, ZIP table and lookup by need, place, hour."""

from __future__ import annotations

import csv
import re
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml

from scripts.model import REPO
from webhook import directory as d
from webhook.directory import (
    CSV_FIELDS,
    HOTLINE_ID,
    Contact,
    Directory,
    DirectoryError,
    Provider,
    hotline,
    import_csv,
    load_national,
    parse_hours,
    zip_to_state,
)

FACTS_YML = REPO / "content" / "facts.yml"
EXAMPLE_CSV = REPO / "content" / "directory" / "example_local.csv"
NATIONAL_YML = REPO / "content" / "directory" / "national.yml"

# Wednesdays, one in standard time and one in daylight time (Los Angeles: UTC-8 / UTC-7).
WINTER_1630Z = datetime(2026, 1, 14, 16, 30, tzinfo=timezone.utc)  # 08:30 PST
SUMMER_1630Z = datetime(2026, 7, 15, 16, 30, tzinfo=timezone.utc)  # 09:30 PDT


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def provider(pid: str, **fields: Any) -> Provider:
    """A valid provider with test defaults: national, 24/7, English, housing."""
    values: Dict[str, Any] = {
        "id": pid,
        "name": pid,
        "services": ("housing",),
        "languages": ("en",),
        "hours": parse_hours(["24/7"]),
        "contact": Contact(phone="+1-202-555-0100"),
        "last_verified": date(2026, 11, 23),
        "source": "test",
        "national": True,
    }
    values.update(fields)
    return Provider(**values)


def weekly(spec: str, zone: str) -> Dict[str, Any]:
    return {"hours": parse_hours(spec.split(";")), "timezone": zone}


def ids(matches) -> List[str]:
    return [m.provider.id for m in matches]


# ---------------------------------------------------------------- national list


@pytest.fixture(scope="module")
def national() -> List[Provider]:
    return load_national(NATIONAL_YML)


def _digits(text: str) -> str:
    return re.sub(r"[^0-9]", "", text)


def test_national_numbers_all_come_from_facts(national):
    """Every number is one of content/facts.yml's, where each keeps its FACTS.md source."""
    facts_yml = yaml.safe_load(FACTS_YML.read_text(encoding="utf-8"))
    known = {_digits(str(spec["value"])) for spec in facts_yml.values()}
    numbers = [
        (p.id, number)
        for p in national
        for number in (p.contact.phone, p.contact.text, p.contact.tty)
        if number
    ]
    assert numbers
    missing = [(pid, n) for pid, n in numbers if _digits(n) not in known]
    assert not missing, f"numbers not in content/facts.yml: {missing}"


def test_national_leaves_out_ice_and_unverified_numbers():
    text = _digits(NATIONAL_YML.read_text(encoding="utf-8"))
    # HSI Tip Line (ICE) and its TTY/international lines; the DOJ line marked UNVERIFIED.
    for number in ("18663472423", "8028726199", "8028726196", "18884287581"):
        assert number not in text


def test_national_hotline_matches_facts_yml(national):
    facts = yaml.safe_load(FACTS_YML.read_text(encoding="utf-8"))
    line = next(p for p in national if p.id == HOTLINE_ID)
    assert line.contact.phone == facts["hotline_phone"]["value"]
    assert line.contact.text == facts["hotline_text"]["value"]
    assert line.contact.tty == "711"
    assert line.hours.always
    assert line.confidentiality == "ask"  # never promised (FACTS.md §7)
    assert line.interpreter and set(line.languages) >= {"en", "es"}
    assert line.contact.text_languages == ("en", "es")
    whd = next(p for p in national if p.id == "wage-and-hour-division")
    assert (whd.contact.phone, whd.contact.tty) == (
        facts["wage_hour_phone"]["value"],
        facts["wage_hour_tty"]["value"],
    )


def test_national_is_only_national_and_sourced(national):
    expected = {
        HOTLINE_ID,
        "emergency-911",
        "national-domestic-violence-hotline",
        "988-lifeline",
        "eeoc",
        "wage-and-hour-division",
    }
    assert {p.id for p in national} == expected
    for p in national:
        assert p.national and not p.states and not p.zip_prefixes, p.id
        assert "FACTS.md §" in p.source, p.id


def test_hotline_is_always_there_and_open(national):
    directory = Directory(national)
    line = hotline(directory)
    assert line.id == HOTLINE_ID
    assert line.open_at(WINTER_1630Z) is True
    with pytest.raises(LookupError):
        hotline(Directory([provider("other")]))


# ---------------------------------------------------------------- lookup


def test_find_keeps_only_the_need():
    directory = Directory(
        [
            provider("shelter", services=("housing", "food")),
            provider("lawyer", services=("legal_immigration",)),
        ]
    )
    assert ids(directory.find("housing", now=WINTER_1630Z)) == ["shelter"]
    assert ids(directory.find("legal_immigration", now=WINTER_1630Z)) == ["lawyer"]
    assert directory.find("medical", now=WINTER_1630Z) == []
    with pytest.raises(ValueError):
        directory.find("shelter", now=WINTER_1630Z)


def test_zip_beats_state_beats_national():
    directory = Directory(
        [
            provider("a-national"),
            provider("b-state", national=False, states=("CA",)),
            provider("c-zip", national=False, zip_prefixes=("941",)),
            provider("d-other-zip", national=False, zip_prefixes=("900",)),
            provider("e-other-state", national=False, states=("NY",)),
        ]
    )
    matches = directory.find("housing", zip_code="94110", now=WINTER_1630Z)
    assert ids(matches) == ["c-zip", "b-state", "a-national"]
    assert [m.area for m in matches] == ["zip", "state", "national"]
    assert "zip_prefix:941" in matches[0].reasons and "state:CA" in matches[1].reasons
    # A state alone: ZIP-only providers are not offered, since the person may be far from them.
    assert ids(directory.find("housing", state="ca", now=WINTER_1630Z)) == ["b-state", "a-national"]
    # Nothing local: only national.
    assert ids(directory.find("housing", zip_code="60601", now=WINTER_1630Z)) == ["a-national"]
    assert ids(directory.find("housing", now=WINTER_1630Z)) == ["a-national"]


def test_zip_gives_its_state_and_wins_over_a_named_state():
    directory = Directory([provider("tx", national=False, states=("TX",))])
    assert ids(directory.find("housing", zip_code="73301", now=WINTER_1630Z)) == ["tx"]
    assert ids(directory.find("housing", zip_code="78701-1234", now=WINTER_1630Z)) == ["tx"]
    assert directory.find("housing", state="TX", zip_code="94110", now=WINTER_1630Z) == []
    with pytest.raises(ValueError):
        directory.find("housing", zip_code="9411", now=WINTER_1630Z)


def test_longest_zip_prefix_is_the_reason():
    directory = Directory([provider("p", national=False, zip_prefixes=("941", "94110"))])
    (match,) = directory.find("housing", zip_code="94110", now=WINTER_1630Z)
    assert "zip_prefix:94110" in match.reasons


def test_language_speakers_and_interpreters_rank_above_the_rest():
    directory = Directory(
        [
            provider("a-local-english", national=False, zip_prefixes=("941",)),
            provider("b-national-interpreter", interpreter=True),
            provider("c-national-spanish", languages=("en", "es")),
        ]
    )
    matches = directory.find("housing", zip_code="94110", language="es-MX", now=WINTER_1630Z)
    assert ids(matches) == ["c-national-spanish", "b-national-interpreter", "a-local-english"]
    assert [m.language_fit for m in matches] == ["speaks", "interpreter", "none"]
    assert "language:es" in matches[0].reasons and "interpreter" in matches[1].reasons
    # No language asked: place decides.
    assert ids(directory.find("housing", zip_code="94110", now=WINTER_1630Z))[0] == (
        "a-local-english"
    )


def test_speaking_beats_an_interpreter_only_when_all_else_is_equal():
    directory = Directory(
        [
            provider("a-zip-interpreter", national=False, zip_prefixes=("941",), interpreter=True),
            provider("b-national-speaks", languages=("vi",)),
        ]
    )
    assert ids(directory.find("housing", zip_code="94110", language="vi", now=WINTER_1630Z)) == [
        "a-zip-interpreter",
        "b-national-speaks",
    ]


def test_hours_in_the_providers_own_time_zone_with_dst():
    la = provider("la", **weekly("mon-fri 09:00-17:00", "America/Los_Angeles"))
    assert la.open_at(WINTER_1630Z) is False  # 08:30 PST
    assert la.open_at(SUMMER_1630Z) is True  # 09:30 PDT
    assert la.open_at(utc(2026, 1, 14, 17, 0)) is True  # 09:00 PST: the start is included
    assert la.open_at(utc(2026, 1, 15, 1, 0)) is False  # 17:00 PST: the end is not
    assert la.open_at(utc(2026, 1, 15, 0, 59)) is True  # 16:59 PST
    assert la.open_at(utc(2026, 1, 17, 18, 0)) is False  # Saturday 10:00 PST
    # The same instant in New York is already 11:30 / 12:30.
    ny = provider("ny", **weekly("mon-fri 09:00-17:00", "America/New_York"))
    assert ny.open_at(WINTER_1630Z) is True


def test_overnight_hours_cross_midnight():
    night = provider("night", **weekly("fri 22:00-02:00", "America/New_York"))
    # July: New York is UTC-4. Friday 2026-07-17, Saturday 2026-07-18.
    assert night.open_at(utc(2026, 7, 18, 2, 0)) is True  # Fri 22:00 EDT
    assert night.open_at(utc(2026, 7, 18, 5, 0)) is True  # Sat 01:00 EDT, the next day
    assert night.open_at(utc(2026, 7, 18, 6, 0)) is False  # Sat 02:00 EDT
    assert night.open_at(utc(2026, 7, 18, 1, 59)) is False  # Fri 21:59 EDT
    assert night.open_at(utc(2026, 7, 17, 5, 0)) is False  # Fri 01:00: Thursday night is closed
    assert night.open_at(utc(2026, 7, 19, 2, 30)) is False  # Sat 22:30 EDT
    sunday = provider("sunday", **weekly("sun 22:00-02:00", "America/Chicago"))
    assert sunday.open_at(utc(2026, 7, 20, 6, 0)) is True  # Mon 01:00 CDT: wraps the week


def test_daylight_saving_starts_during_an_opening():
    # 2026-03-08: New York clocks jump from 02:00 EST to 03:00 EDT.
    early = provider("early", **weekly("sun 01:00-04:00", "America/New_York"))
    assert early.open_at(utc(2026, 3, 8, 6, 59)) is True  # 01:59 EST
    assert early.open_at(utc(2026, 3, 8, 7, 0)) is True  # 03:00 EDT
    assert early.open_at(utc(2026, 3, 8, 8, 0)) is False  # 04:00 EDT
    assert early.open_at(utc(2026, 3, 8, 5, 59)) is False  # 00:59 EST


def test_open_now_first_then_unknown_then_closed():
    directory = Directory(
        [
            provider(
                "a-closed-zip",
                national=False,
                zip_prefixes=("941",),
                **weekly("mon-fri 09:00-17:00", "America/Los_Angeles"),
            ),
            provider("b-unknown", hours=parse_hours(["unknown"])),
            provider("c-open-national"),
        ]
    )
    matches = directory.find("housing", zip_code="94110", now=WINTER_1630Z)
    assert ids(matches) == ["c-open-national", "b-unknown", "a-closed-zip"]
    assert [m.open_now for m in matches] == [True, None, False]
    assert matches[2].reasons[-1] == "closed_now"
    matches = directory.find("housing", zip_code="94110", now=SUMMER_1630Z)
    assert ids(matches)[0] == "a-closed-zip" and matches[0].open_now is True


def test_at_most_limit_results():
    directory = Directory([provider(f"p{i}") for i in range(6)])
    assert len(directory.find("housing", now=WINTER_1630Z)) == 3
    assert len(directory.find("housing", now=WINTER_1630Z, limit=5)) == 5
    assert directory.find("housing", now=WINTER_1630Z, limit=0) == []


def test_now_must_be_aware_and_defaults_to_the_clock():
    directory = Directory([provider("p")])
    with pytest.raises(ValueError):
        directory.find("housing", now=datetime(2026, 1, 14, 16, 30))
    assert ids(directory.find("housing")) == ["p"]


def test_no_local_fit_gives_national_for_the_need_or_nothing(national):
    directory = Directory(national + import_csv(EXAMPLE_CSV))
    # Chicago has no housing example: no national housing service either, so the caller shows
    # the hotline on its own.
    assert directory.find("housing", zip_code="60601", now=WINTER_1630Z) == []
    crisis = directory.find("crisis", zip_code="60601", now=WINTER_1630Z)
    assert crisis and all(m.area == "national" for m in crisis)
    wages = directory.find("legal_wages", zip_code="60601", language="pl", now=WINTER_1630Z)
    assert ids(wages)[0] == "example-lakeshore-workers"
    assert {"eeoc", "wage-and-hour-division"} <= set(ids(wages))


def test_example_lookup_end_to_end(national):
    directory = Directory(national + import_csv(EXAMPLE_CSV))
    # Tuesday 2026-11-24 06:00 UTC is Monday 22:00 in San Francisco: the overnight intake is open.
    night = utc(2026, 11, 24, 6, 0)
    (first, *_) = directory.find("housing", zip_code="94110", language="es", now=night)
    assert first.provider.id == "example-casa-segura" and first.open_now is True
    # Friday 23:30 in New York (2026-11-28 04:30 UTC, EST): only the weekend night intake.
    assert directory.find("housing", zip_code="10001", now=utc(2026, 11, 28, 4, 30))[0].open_now
    assert directory.find("housing", zip_code="10001", now=utc(2026, 11, 27, 4, 30))[
        0
    ].open_now is (False)
    assert ids(directory.find("housing", zip_code="96910", now=night)) == ["example-island-haven"]
    assert hotline(directory).id == HOTLINE_ID


# ---------------------------------------------------------------- CSV import


def test_example_csv_is_valid_and_clearly_fictional():
    providers = import_csv(EXAMPLE_CSV)
    assert 8 <= len(providers) <= 10
    for p in providers:
        assert p.name.startswith("EXAMPLE – ") and p.name.endswith("(fictional)"), p.name
        for number in (p.contact.phone, p.contact.text, p.contact.tty):
            if number:
                assert re.fullmatch(r"\+1-\d{3}-555-01\d\d", number), number
        if p.contact.web:
            assert p.contact.web.startswith("https://example.org/")
    assert len({p.timezone for p in providers}) >= 3
    assert len({lang for p in providers for lang in p.languages}) >= 6
    assert any(o.end <= o.start for p in providers for o in p.hours.openings)  # overnight intake
    with EXAMPLE_CSV.open(encoding="utf-8") as handle:
        assert tuple(next(csv.reader(handle))) == CSV_FIELDS


GOOD_ROW = {
    "id": "good",
    "name": "EXAMPLE – Good (fictional)",
    "services": "housing;food",
    "zip_prefixes": "941",
    "languages": "en;es",
    "interpreter": "yes",
    "hours": "mon-fri 09:00-17:00;fri 22:00-02:00",
    "timezone": "America/Los_Angeles",
    "phone": "+1-415-555-0199",
    "last_verified": "2026-11-23",
    "source": "test",
}
BAD_ROWS = [
    # (changes to GOOD_ROW, the field that must be named)
    ({"zip_prefixes": "94"}, "zip_prefixes"),
    ({"zip_prefixes": "000"}, "zip_prefixes"),
    ({"services": "housing;shelter"}, "services"),
    ({"hours": "mon-fri 9-5"}, "hours"),
    ({"hours": "someday 09:00-17:00"}, "hours"),
    ({"hours": "mon 09:00-09:00"}, "hours"),
    ({"timezone": "America/San_Francisco"}, "timezone"),
    ({"timezone": ""}, "timezone"),
    ({"name": ""}, "name"),
    ({"phone": ""}, "contact"),
    ({"phone": "call us"}, "phone"),
    ({"languages": "Spanish"}, "languages"),
    ({"languages": "xx"}, "languages"),
    ({"languages": ""}, "languages"),
    ({"states": "ZZ"}, "states"),
    ({"zip_prefixes": ""}, "area"),
    ({"interpreter": "maybe"}, "interpreter"),
    ({"web": "example.org"}, "web"),
    ({"confidentiality": "total"}, "confidentiality"),
    ({"last_verified": "23/11/2026"}, "last_verified"),
    ({"id": "Bad Id"}, "id"),
    ({"id": "good"}, "id"),  # repeats row 2
]


def write_csv(path: Path, rows: List[Dict[str, str]], fields=CSV_FIELDS) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_csv_import_names_every_bad_row_and_field(tmp_path):
    rows = [dict(GOOD_ROW)]
    for number, (changes, _) in enumerate(BAD_ROWS):
        rows.append({**GOOD_ROW, "id": f"bad-{number}", **changes})
    with pytest.raises(DirectoryError) as caught:
        import_csv(write_csv(tmp_path / "local.csv", rows))
    found = {(p.row, p.field) for p in caught.value.problems}
    expected = {(index + 3, name) for index, (_, name) in enumerate(BAD_ROWS)}
    assert expected <= found, sorted(expected - found)
    assert {row for row, _ in found} == {row for row, _ in expected}  # row 2 is fine
    message = str(caught.value)
    assert "row 3, zip_prefixes" in message and "shelter" in message
    assert "America/San_Francisco" in message


def test_csv_import_of_good_rows(tmp_path):
    second = {**GOOD_ROW, "id": "second", "zip_prefixes": "", "states": "tx", "hours": "24/7"}
    second.update(timezone="", phone="", web="https://example.org/x", languages="ES;mam")
    (first, other) = import_csv(write_csv(tmp_path / "local.csv", [GOOD_ROW, {}, second]))
    assert first.services == ("housing", "food") and first.interpreter
    assert [o.day for o in first.hours.openings] == [0, 1, 2, 3, 4, 4]
    assert other.states == ("TX",) and other.languages == ("es", "mam") and other.hours.always
    assert other.confidentiality == "ask"  # blank: never promised


def test_csv_header_problems(tmp_path):
    fields = [f for f in CSV_FIELDS if f != "source"] + ["colour"]
    with pytest.raises(DirectoryError) as caught:
        import_csv(write_csv(tmp_path / "local.csv", [], fields))
    found = {(p.row, p.field, p.reason) for p in caught.value.problems}
    assert found == {(1, "colour", "unknown column"), (1, "source", "missing column")}
    with pytest.raises(DirectoryError):
        import_csv(write_csv(tmp_path / "empty.csv", []))


def test_national_yaml_problems_are_named(tmp_path):
    path = tmp_path / "national.yml"
    path.write_text(
        "providers:\n"
        "  - {id: x, name: X, services: [wish], areas: {national: true}, languages: [en],\n"
        "     hours: '24/7', contact: {phone: '911'}, last_verified: '2026-11-23', source: s,\n"
        "     colour: red}\n",
        encoding="utf-8",
    )
    with pytest.raises(DirectoryError) as caught:
        load_national(path)
    assert {(p.row, p.field) for p in caught.value.problems} == {(1, "services"), (1, "colour")}


# ---------------------------------------------------------------- ZIP table


@pytest.mark.parametrize(
    "zip_code, state",
    [
        ("94110", "CA"),
        ("10001", "NY"),
        ("60601", "IL"),
        ("00901", "PR"),
        ("96910", "GU"),
        ("20001", "DC"),
        ("88901", "NV"),
        ("73301", "TX"),
        ("05501", "MA"),
        ("00501", "NY"),
        ("00802", "VI"),
        ("20166", "VA"),
        ("39901", "GA"),
        ("88510", "TX"),
        ("96799", "AS"),
        ("96950", "MP"),
        ("06390", "NY"),
        ("06101", "CT"),
        ("09001", "AE"),
        ("34001", "AA"),
        ("96201", "AP"),
        ("99501", "AK"),
        ("96813", "HI"),
        ("56901", "DC"),
        ("94110-1234", "CA"),
    ],
)
def test_zip_to_state(zip_code, state):
    assert zip_to_state(zip_code) == state


@pytest.mark.parametrize("zip_code", ["00000", "21301", "99", "abcde", "", "941101"])
def test_zip_to_state_unknown(zip_code):
    assert zip_to_state(zip_code) is None


def test_zip_table_covers_every_state_and_territory(record_summary):
    states = d.known_states()
    fifty = set(
        "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ "
        "NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY".split()
    )
    assert len(fifty) == 50
    assert fifty | {"DC", "PR", "VI", "GU", "AS", "MP", "AA", "AE", "AP"} <= states
    record_summary(f"directory: ZIP table {len(d._zip_table())} prefixes, {len(states)} areas")


# ---------------------------------------------------------------- command line and environment


def test_cli_import(capsys, tmp_path):
    assert d.main(["import", str(EXAMPLE_CSV)]) == 0
    assert "example-casa-segura" in capsys.readouterr().out
    bad = write_csv(tmp_path / "bad.csv", [{**GOOD_ROW, "services": "shelter"}])
    assert d.main(["import", str(bad)]) == 1
    assert "row 2, services" in capsys.readouterr().err


def test_cli_find(capsys):
    argv = ["find", "--need", "housing", "--zip", "94110", "--language", "es"]
    argv += ["--file", str(EXAMPLE_CSV), "--now", "2026-11-24T06:00:00Z"]
    assert d.main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("example-casa-segura\t")
    assert lines[-1].startswith(f"{HOTLINE_ID}\t")


def test_environment_names_the_local_file_and_never_defaults_to_the_example():
    assert {p.id for p in d.directory_from_environment({}).providers} == {
        p.id for p in load_national()
    }
    loaded = d.directory_from_environment({d.ENV_FILE: str(EXAMPLE_CSV)})
    assert loaded.get("example-casa-segura") is not None
