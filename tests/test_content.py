"""The content check: every text a person can receive exists, is sourced, fits an SMS budget."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from actions.goals import goal_title_responses
from actions.handoff import ask_responses
from actions.screener import screener_responses
from scripts.model import REPO
from webhook.content import DEFAULT_LANGUAGE, PLACEHOLDER, fill, load_catalog
from webhook.language_choice import MENU_PAYLOAD

# Twilio recommends at most 320 characters a message (shared/FACTS.md §9): two GSM-7 segments.
SMS_BUDGET_CHARS = 320
REVIEW_STATUSES = {
    "draft-unreviewed",
    "staff-reviewed",
    "legal-reviewed",
    "native-speaker-reviewed",
}
CONFIG_PLACEHOLDERS = {"org_name", "retention_days", "readers"}
# Filled in by the code that sends the text (webhook/sms_reply.py: a numbered choice).
RUNTIME_PLACEHOLDERS = {
    "number",
    "code_word",
    "opens_at",
    "title",
    "provider_name",
    "provider_contact",
    "provider_hours",
    "provider_languages",
    "goal_number",
    "goal_text",
    "goal_count",
    "value",
}
SECTIONS = ["responses", "ui", "sms"]
# Payloads the web layer answers itself, before Rasa (webhook/language_choice.py).
WEBHOOK_PAYLOADS = {MENU_PAYLOAD}
# Answers to a question of a form, taken as the person's words (actions/referral.py NEED_PAYLOAD).
FORM_CHOICE = re.compile(r"^(need|goal|time):[a-z_]+$")
# Longest plausible deployment values, so the budget holds for a real organisation too.
WORST_CASE_CONFIG = {"org_name": "X" * 40, "retention_days": 365, "readers": "Y" * 60}

CATALOG = load_catalog(REPO / "content")
DOMAIN = yaml.safe_load((REPO / "domain.yml").read_text())
# Responses sent by custom actions (dispatcher.utter_message(response=...)) need texts too; they
# are not in domain.yml, where Rasa's validator would call them unused.
ACTION_RESPONSES = {
    name
    for path in (REPO / "actions").glob("*.py")
    for name in re.findall(r'"(utter_\w+)"', path.read_text(encoding="utf-8"))
}
ACTION_RESPONSES |= set(goal_title_responses())  # named from content/directory/goals.yml
ACTION_RESPONSES |= set(ask_responses())  # actions/handoff.py's questions
ACTION_RESPONSES |= set(screener_responses())  # two per indicator of actions/screener.py
DOMAIN_RESPONSES = set(DOMAIN["responses"]) | ACTION_RESPONSES
DOMAIN_INTENTS = set(DOMAIN["intents"])
LANGUAGES = CATALOG.languages


def entries(section: str):
    """Every (language, name, entry) in a section of the catalog."""
    table = getattr(CATALOG, section)
    return [(lang, name, e) for lang in sorted(table) for name, e in sorted(table[lang].items())]


def placeholders(text: str) -> set:
    return set(PLACEHOLDER.findall(text))


def test_every_domain_response_has_english_text():
    missing = DOMAIN_RESPONSES - set(CATALOG.responses[DEFAULT_LANGUAGE])
    assert not missing, f"responses with no English text: {sorted(missing)}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_language_has_names_the_domain_lacks(language):
    unknown = set(CATALOG.responses.get(language, {})) - DOMAIN_RESPONSES
    assert not unknown, f"{language}: texts for responses not in domain.yml: {sorted(unknown)}"


@pytest.mark.parametrize("section", ["ui", "sms"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_ui_and_sms_texts_match_english(language, section):
    english = set(getattr(CATALOG, section)[DEFAULT_LANGUAGE])
    theirs = set(getattr(CATALOG, section).get(language, {}))
    assert theirs <= english, f"{language}: {section} texts English lacks: {theirs - english}"


def test_sms_keywords_are_single_words_with_sources_and_never_shared_across_kinds():
    problems = []
    owner = {}
    for path in sorted((REPO / "content").glob("*/*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for kind, spec in (doc.get("keywords") or {}).items():
            if not spec.get("sources"):
                problems.append(f"{path}: {kind} has no sources")
            for word in spec.get("words") or []:
                if len(str(word).split()) != 1:
                    problems.append(f"{path}: {word!r} is not one word")
                seen = owner.setdefault(str(word).casefold(), kind)
                if seen != kind:
                    problems.append(f"{path}: {word!r} is both {seen} and {kind}")
    assert CATALOG.keywords[DEFAULT_LANGUAGE]["opt_out"], "no English opt-out words"
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("section", SECTIONS)
def test_placeholders_match_english_and_exist(section):
    known = set(CATALOG.facts) | CONFIG_PLACEHOLDERS | RUNTIME_PLACEHOLDERS
    english = getattr(CATALOG, section)[DEFAULT_LANGUAGE]
    problems = []
    for _language, name, entry in entries(section):
        used = placeholders(entry.text)
        if used - known:
            problems.append(f"{entry.path}: {name} uses unknown {sorted(used - known)}")
        if name in english and used != placeholders(english[name].text):
            problems.append(f"{entry.path}: {name} placeholders {sorted(used)} differ from English")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("section", SECTIONS)
def test_every_text_fits_the_sms_budget(section):
    too_long = []
    for language, name, entry in entries(section):  # noqa: B007
        values = {**CATALOG.facts, **WORST_CASE_CONFIG}
        length = len(fill(entry.text, values))
        if length > SMS_BUDGET_CHARS:
            too_long.append(f"{language}/{name}: {length} characters")
    assert not too_long, f"over {SMS_BUDGET_CHARS} characters:\n" + "\n".join(too_long)


@pytest.mark.parametrize("section", SECTIONS)
def test_every_text_has_sources_and_a_review_status(section):
    problems = []
    for language, name, entry in entries(section):
        if not entry.sources or not all(isinstance(s, str) and s.strip() for s in entry.sources):
            problems.append(f"{language}/{name}: no sources")
        if entry.review.get("status") not in REVIEW_STATUSES:
            problems.append(f"{language}/{name}: review status {entry.review.get('status')!r}")
        if not entry.review.get("last_verified"):
            problems.append(f"{language}/{name}: no last_verified date")
    assert not problems, "\n".join(problems)


def test_buttons_point_at_real_intents_and_match_english():
    problems = []
    english = CATALOG.responses[DEFAULT_LANGUAGE]
    for language, name, entry in entries("responses"):
        payloads = [b.get("payload", "") for b in entry.buttons]
        for payload in payloads:
            if payload in WEBHOOK_PAYLOADS or FORM_CHOICE.match(payload):
                continue
            if not payload.startswith("/") or payload[1:] not in DOMAIN_INTENTS:
                problems.append(f"{language}/{name}: payload {payload!r} is not an intent")
        if name in english and payloads != [b["payload"] for b in english[name].buttons]:
            problems.append(f"{language}/{name}: buttons differ from English")
        if any(not str(b.get("title", "")).strip() for b in entry.buttons):
            problems.append(f"{language}/{name}: a button has no title")
    assert not problems, "\n".join(problems)


def test_no_phone_number_is_typed_into_a_text():
    """Numbers come from content/facts.yml, where each has its source."""
    problems = []
    for section in SECTIONS:
        for language, name, entry in entries(section):
            for value in CATALOG.facts.values():
                if any(ch.isdigit() for ch in value) and value in entry.text:
                    problems.append(f"{language}/{name}: types {value} instead of a placeholder")
    assert not problems, "\n".join(problems)


def test_facts_have_sources():
    facts = yaml.safe_load((REPO / "content" / "facts.yml").read_text())
    assert all(spec.get("sources") for spec in facts.values())


def test_a_language_file_lives_in_its_language_folder(tmp_path: Path):
    """A misplaced file is caught at load time rather than served in the wrong language."""
    import shutil

    root = tmp_path / "content"
    shutil.copytree(REPO / "content", root)
    (root / "es" / "misplaced.yml").write_text("language: en\nresponses: {}\n")
    with pytest.raises(ValueError, match="misplaced"):
        load_catalog(root)


def test_only_language_folders_are_languages():
    assert set(LANGUAGES) == {"en", "es", "fr", "ht", "id", "pt", "tl", "vi", "zh"}


QUOTED = re.compile(r'["“«「](.+?)["”»」]')


@pytest.mark.parametrize("name", ["handoff_open", "handoff_after_hours", "handoff_still_waiting"])
def test_each_language_says_how_to_leave_the_line_with_words_that_work(name):
    from webhook.leave_queue import LeavePhrases

    phrases = LeavePhrases.load(REPO / "content")
    wrong = []
    for language in CATALOG.languages:
        text = CATALOG.ui[language][name].text
        if not any(phrases.said(quoted) for quoted in QUOTED.findall(text)):
            wrong.append(f"{language}: {text}")
    assert not wrong, "texts that quote no leave phrase:\n" + "\n".join(wrong)
