"""Loads every user-facing text from content/ and renders one in a conversation's language."""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

import yaml

from webhook.directory import ALWAYS_OPEN, HOURS_UNKNOWN
from webhook.yamlfile import read_yaml

log = logging.getLogger(__name__)

DEFAULT_LANGUAGE = "en"
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
RELOAD_CHECK_SECONDS = 2.0
FACTS_FILE = "facts.yml"
DEPLOYMENT_FILE = "deployment.yml"
UI_FILE = "ui.yml"
LIST_SEPARATOR = " · "
HOURS_SEPARATOR = "; "
# Structured values an action may pass for a placeholder, rendered here in the person's language.
HOURS_ARGUMENT = "hours"  # {"hours": ["mon-fri 09:00-17:00", ...]}, content/directory/README.md
LANGUAGES_ARGUMENT = "languages"  # {"languages": ["es", "en"]}: shown by each language's own name
HOURS_UI = {ALWAYS_OPEN: "hours_always", HOURS_UNKNOWN: "hours_unknown"}
DAY_WORD = re.compile(r"[a-z]+")
# Folders of content/ that hold no language's texts (content/directory: webhook/directory.py).
NOT_LANGUAGE_DIRS = frozenset({"directory"})


@dataclass(frozen=True)
class Entry:
    """One text in one language, with what a reviewer needs to check it."""

    name: str
    language: str
    text: str
    buttons: List[Dict[str, str]]
    sources: List[str]
    review: Dict[str, str]
    path: str


@dataclass
class Catalog:
    """Everything under content/, parsed once."""

    responses: Dict[str, Dict[str, Entry]] = field(
        default_factory=dict
    )  # language -> name -> entry
    ui: Dict[str, Dict[str, Entry]] = field(default_factory=dict)
    sms: Dict[str, Dict[str, Entry]] = field(default_factory=dict)
    # language -> kind (opt_out, opt_in, ...) -> casefolded words
    keywords: Dict[str, Dict[str, List[str]]] = field(default_factory=dict)
    facts: Dict[str, str] = field(default_factory=dict)
    deployment: Dict[str, Any] = field(default_factory=dict)

    @property
    def languages(self) -> List[str]:
        """Languages that have any text, English first."""
        found = set(self.responses) | set(self.ui)
        return sorted(found, key=lambda code: (code != DEFAULT_LANGUAGE, code))


def _entries(path: Path, section: str, language: str, doc: Mapping[str, Any]) -> Dict[str, Entry]:
    defaults = doc.get("review") or {}
    entries = {}
    for name, spec in (doc.get(section) or {}).items():
        review = {**defaults, **(spec.get("review") or {})}
        entries[name] = Entry(
            name=name,
            language=language,
            text=str(spec.get("text", "")),
            buttons=list(spec.get("buttons") or []),
            sources=list(spec.get("sources") or []),
            review=review,
            path=str(path),
        )
    return entries


def load_catalog(root: Path) -> Catalog:
    """Parse content/: facts, deployment settings, and each language's responses and UI words."""
    catalog = Catalog()
    facts = read_yaml(root / FACTS_FILE) or {}
    catalog.facts = {name: str(spec["value"]) for name, spec in facts.items()}
    deployment_path = root / DEPLOYMENT_FILE
    if deployment_path.exists():
        catalog.deployment = read_yaml(deployment_path) or {}
    for language_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        if language_dir.name in NOT_LANGUAGE_DIRS:
            continue
        language = language_dir.name
        for path in sorted(language_dir.glob("*.yml")):
            doc = read_yaml(path) or {}
            if doc.get("language", language) != language:
                raise ValueError(
                    f"{path}: says language {doc.get('language')!r}, lives in {language!r}"
                )
            catalog.responses.setdefault(language, {}).update(
                _entries(path, "responses", language, doc)
            )
            catalog.ui.setdefault(language, {}).update(_entries(path, "ui", language, doc))
            catalog.sms.setdefault(language, {}).update(_entries(path, "sms", language, doc))
            for kind, spec in (doc.get("keywords") or {}).items():
                words = [str(word).casefold() for word in spec.get("words") or []]
                catalog.keywords.setdefault(language, {}).setdefault(kind, []).extend(words)
    return catalog


def fill(text: str, values: Mapping[str, Any]) -> str:
    """Replace {name} placeholders that have a value; leave anything else as written."""
    return PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), text)


class ContentStore:
    """Thread-safe view of content/ that picks up edited files without a restart."""

    def __init__(
        self,
        root: Path,
        org_name: str = "",
        retention_days: int = 30,
        check_seconds: float = RELOAD_CHECK_SECONDS,
    ) -> None:
        self.root = Path(root)
        self._check_seconds = check_seconds
        self._org_name = org_name
        self._retention_days = retention_days
        self._lock = threading.Lock()
        self._catalog: Optional[Catalog] = None
        self._stamp: tuple = ()
        self._checked_at = 0.0

    def _current_stamp(self) -> tuple:
        return tuple(
            (str(p), p.stat().st_mtime_ns) for p in sorted(self.root.rglob("*.yml")) if p.is_file()
        )

    @property
    def catalog(self) -> Catalog:
        """The parsed content, re-read when any file changed (checked every couple of seconds)."""
        with self._lock:
            now = time.monotonic()
            if self._catalog is None or now - self._checked_at >= self._check_seconds:
                self._checked_at = now
                stamp = self._current_stamp()
                if stamp != self._stamp:
                    try:
                        self._catalog = load_catalog(self.root)
                        self._stamp = stamp
                        log.info("content loaded", extra={"files": len(stamp)})
                    except (OSError, ValueError, yaml.YAMLError):
                        if self._catalog is None:
                            raise
                        # A half-saved edit must not take the service down: keep the last good copy.
                        log.exception("content reload failed; keeping the previous content")
            return self._catalog

    @property
    def languages(self) -> List[str]:
        """Languages Puente has texts for."""
        return self.catalog.languages

    def values(self, language: str) -> Dict[str, Any]:
        """Placeholder values: facts and this deployment's settings, in the given language."""
        catalog = self.catalog
        readers = catalog.deployment.get("readers") or {}
        return {
            **catalog.facts,
            "org_name": self._org_name or catalog.deployment.get("org_name", ""),
            "retention_days": self._retention_days,
            "readers": readers.get(language) or readers.get(DEFAULT_LANGUAGE, ""),
        }

    def _lookup(self, section: str, name: str, language: str) -> tuple[Optional[Entry], str]:
        table = getattr(self.catalog, section)
        entry = table.get(language, {}).get(name)
        if entry is not None:
            return entry, language
        return table.get(DEFAULT_LANGUAGE, {}).get(name), DEFAULT_LANGUAGE

    def ui_text(self, name: str, language: str, **arguments: Any) -> str:
        """One UI string in the language, or in English when it has not been written yet."""
        return self._text("ui", name, language, arguments)

    def sms_text(self, name: str, language: str, **arguments: Any) -> str:
        """One text of the SMS channel in the language, or in English when it is missing."""
        return self._text("sms", name, language, arguments)

    def _text(
        self, section: str, name: str, language: str, arguments: Optional[Mapping] = None
    ) -> str:
        entry, used = self._lookup(section, name, language)
        if entry is None:
            raise KeyError(f"no {section} text {name!r}")
        return fill(entry.text, {**(arguments or {}), **self.values(used)})

    def labelled(self, items: Mapping[str, Any], language: str) -> str:
        """{ui name: value} as each UI text with its {value}, joined ("call 1-800…· text 988")."""
        return LIST_SEPARATOR.join(
            fill(self.ui_text(name, language), {"value": value}) for name, value in items.items()
        )

    def argument_text(self, value: Any, language: str) -> Any:
        """A placeholder's value as text: hours and languages in words; other dicts labelled."""
        if not isinstance(value, dict):
            return value
        if set(value) == {HOURS_ARGUMENT}:
            return self.hours_text(value[HOURS_ARGUMENT], language)
        if set(value) == {LANGUAGES_ARGUMENT}:
            return self.language_names(value[LANGUAGES_ARGUMENT], language)
        return self.labelled(value, language)

    def hours_text(self, spec: List[str], language: str) -> str:
        """Opening hours ("mon-fri 09:00-17:00") with the day names in the language."""
        parts = []
        for item in spec:
            item = str(item).strip().lower()
            if item in HOURS_UI:
                parts.append(self.ui_text(HOURS_UI[item], language))
                continue
            days, _, times = item.partition(" ")
            named = DAY_WORD.sub(lambda day: self.ui_text(f"day_{day.group(0)}", language), days)
            parts.append(f"{named} {times.strip()}".strip())
        return HOURS_SEPARATOR.join(parts)

    def language_names(self, codes: List[str], language: str) -> str:
        """Language codes as each language's own name ("Español, English"); unknown codes as is."""
        ui = self.catalog.ui
        names = [
            ui[code]["language_name"].text if "language_name" in ui.get(code, {}) else code
            for code in codes
        ]
        return ", ".join(names)

    def keywords(self) -> Dict[str, Dict[str, List[str]]]:
        """SMS keywords (opt_out, opt_in, opt_in_when_opted_out, help) by language, casefolded."""
        return self.catalog.keywords

    def ui_strings(self, language: str) -> Dict[str, str]:
        """Every UI string for the chat page, in the language with English where one is missing."""
        names = set(self.catalog.ui.get(DEFAULT_LANGUAGE, {}))
        return {name: self.ui_text(name, language) for name in sorted(names)}

    def response(
        self, name: str, language: str, arguments: Optional[Mapping[str, Any]] = None
    ) -> Optional[Dict[str, Any]]:
        """A response as Rasa's NLG format ({text, buttons}); None when no language has it."""
        entry, used = self._lookup("responses", name, language)
        if entry is None:
            return None
        rendered = {
            name: self.argument_text(value, used) for name, value in (arguments or {}).items()
        }
        values = {**rendered, **self.values(used)}
        text = fill(entry.text, values)
        if used != language and language in self.catalog.ui:
            text = f"{self.ui_text('missing_translation', language)}\n{text}"
        buttons = []
        for button in entry.buttons:
            title_entry = button.get("title", "")
            buttons.append({"title": fill(str(title_entry), values), "payload": button["payload"]})
        return {"text": text, "buttons": buttons}
