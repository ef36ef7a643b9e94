"""Offline translation with real tiny argostranslate models: install, translate, pivot, cache."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, Iterator, List

import pytest

from scripts.model import REPO
from tests.argos_tiny import build_tiny_model, translate_directly
from webhook import translator as translator_module
from webhook.translator import (
    Detected,
    MissingLanguagePair,
    Translated,
    TranslationError,
    Translator,
    install_model,
)

# Each tiny model answers every sentence with its own sentence. The Haitian model's has two
# sentences, so going on through the English -> Spanish model doubles the Spanish one.
OUTPUTS = {
    ("ht", "en"): "I am safe. I need help.",
    ("en", "es"): "Estoy a salvo.",
    ("es", "en"): "Where is my passport?",
}
HAITIAN = "Mwen bezwen èd ak paspò mwen, patron mwen kenbe papye mwen yo."
SPANISH = "Necesito ayuda con mi pasaporte, mi empleador se quedó con mis documentos."


@pytest.fixture(scope="session")
def model_files(tmp_path_factory: pytest.TempPathFactory) -> Dict[tuple, Path]:
    """One .argosmodel file per pair in OUTPUTS, built once for the session."""
    out_dir = tmp_path_factory.mktemp("argosmodels")
    return {pair: build_tiny_model(out_dir, *pair, sentence) for pair, sentence in OUTPUTS.items()}


@pytest.fixture(autouse=True)
def private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """HOME and the XDG folders in tmp, and checked to stay empty: nothing goes to a home."""
    home = tmp_path / "home"
    for name, folder in {
        "HOME": home,
        "XDG_DATA_HOME": home / ".local" / "share",
        "XDG_CONFIG_HOME": home / ".config",
        "XDG_CACHE_HOME": home / ".cache",
    }.items():
        monkeypatch.setenv(name, str(folder))
    home.mkdir()
    yield home
    assert list(home.iterdir()) == []


@pytest.fixture
def translator(tmp_path: Path, model_files: Dict[tuple, Path]) -> Translator:
    """A translator with Haitian -> English and English -> Spanish installed."""
    packages = tmp_path / "packages"
    for pair in [("ht", "en"), ("en", "es")]:
        install_model(model_files[pair], packages)
    return Translator(packages)


@pytest.fixture
def model_calls(monkeypatch: pytest.MonkeyPatch) -> List[str]:
    """The texts each model was run on, recorded around argostranslate's translation call."""
    argos_translate = translator_module._argos().translate
    real = argos_translate.apply_packaged_translation
    calls: List[str] = []

    def counting(package, text, *args, **kwargs):
        calls.append(text)
        return real(package, text, *args, **kwargs)

    monkeypatch.setattr(argos_translate, "apply_packaged_translation", counting)
    return calls


def no_network(*args, **kwargs):
    raise OSError("network access is not allowed in this test")


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any connection or name lookup fails."""
    for name in ["connect", "connect_ex"]:
        monkeypatch.setattr(socket.socket, name, no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)


def test_the_tiny_model_itself_outputs_its_sentence(tmp_path: Path, model_files) -> None:
    install_model(model_files[("ht", "en")], tmp_path / "packages")
    (package,) = (tmp_path / "packages").iterdir()
    assert translate_directly(package, HAITIAN) == OUTPUTS[("ht", "en")]


def test_install_returns_the_pair_and_lists_it(tmp_path: Path, model_files) -> None:
    packages = tmp_path / "packages"
    assert install_model(model_files[("ht", "en")], packages) == ("ht", "en")
    assert (packages / "translate-ht_en-1_0" / "metadata.json").is_file()
    translator = Translator(packages)
    assert translator.pairs() == [("ht", "en")]
    assert translator.install(model_files[("en", "es")]) == ("en", "es")
    assert translator.pairs() == [("en", "es"), ("ht", "en")]


def test_a_file_that_is_not_a_model_is_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.argosmodel"
    bogus.write_text("not a zip")
    with pytest.raises(TranslationError, match="not an .argosmodel"):
        install_model(bogus, tmp_path / "packages")


def test_translate_gives_the_models_exact_output(translator: Translator) -> None:
    result = translator.translate(HAITIAN, dest="en", src="ht")
    assert isinstance(result, Translated)
    assert (result.text, result.src, result.dest, result.origin) == (
        OUTPUTS[("ht", "en")],
        "ht",
        "en",
        HAITIAN,
    )
    assert result.pronunciation is None
    assert result.extra_data["route"] == ("ht", "en")


def test_each_sentence_and_paragraph_is_translated_on_its_own(translator: Translator) -> None:
    spanish = OUTPUTS[("en", "es")]
    text = "One. Two? Three!\n\nFour 3.5 five"
    assert translator.translate(text, dest="es", src="en").text == (
        f"{spanish} {spanish} {spanish}\n\n{spanish}"
    )


def test_pivots_through_english(translator: Translator, model_calls: List[str]) -> None:
    result = translator.translate(HAITIAN, dest="es", src="ht")
    spanish = OUTPUTS[("en", "es")]
    # The English step's two sentences each became the Spanish model's sentence.
    assert result.text == f"{spanish} {spanish}"
    assert result.extra_data["route"] == ("ht", "en", "es")
    assert model_calls == [HAITIAN, OUTPUTS[("ht", "en")]]


def test_a_list_gives_a_list(translator: Translator) -> None:
    results = translator.translate([HAITIAN, "Bonjou.", ""], dest="en", src="ht")
    assert [result.text for result in results] == [OUTPUTS[("ht", "en")]] * 2 + [""]
    assert [result.origin for result in results] == [HAITIAN, "Bonjou.", ""]


def test_same_language_is_returned_unchanged(translator: Translator, model_calls) -> None:
    assert translator.translate("Hello.", dest="en", src="en").text == "Hello."
    assert model_calls == []


def test_translations_are_cached(translator: Translator, model_calls: List[str]) -> None:
    first = translator.translate(HAITIAN, dest="en", src="ht")
    second = translator.translate(HAITIAN, dest="en", src="ht")
    assert first == second
    assert model_calls == [HAITIAN]
    translator.translate(HAITIAN, dest="es", src="ht")  # another key: runs the models
    assert len(model_calls) == 3
    translator.refresh()
    translator.translate(HAITIAN, dest="en", src="ht")
    assert len(model_calls) == 4


def test_the_cache_is_bounded(tmp_path: Path, model_files, model_calls: List[str]) -> None:
    translator = Translator(tmp_path / "packages", cache_size=2)
    translator.install(model_files[("ht", "en")])
    for text in ["A.", "B.", "C.", "A."]:
        translator.translate(text, dest="en", src="ht")
    assert model_calls == ["A.", "B.", "C.", "A."]  # "A." was evicted by "C."


def test_a_missing_pair_is_named(translator: Translator) -> None:
    with pytest.raises(MissingLanguagePair) as missing:
        translator.translate("Hola.", dest="en", src="es")
    assert str(missing.value) == "no translation model installed for es -> en"
    assert (missing.value.src, missing.value.dest) == ("es", "en")

    with pytest.raises(TranslationError) as missing:
        translator.translate(HAITIAN, dest="fr", src="ht")
    assert str(missing.value) == (
        "no translation model installed for ht -> fr (nor for en -> fr, to go through en)"
    )
    assert missing.value.missing == [("ht", "fr"), ("en", "fr")]


def test_no_network_is_used(tmp_path: Path, model_files, offline, model_calls) -> None:
    packages = tmp_path / "packages"
    for pair in OUTPUTS:
        install_model(model_files[pair], packages)
    translator = Translator(packages)
    text = "Premye fraz. Dezyèm fraz?\nTwazyèm fraz!"
    result = translator.translate(text, dest="es", src="ht")
    assert result.text.count(OUTPUTS[("en", "es")]) == 6
    assert translator.translate(SPANISH, dest="en").text == OUTPUTS[("es", "en")]
    assert len(model_calls) == 2 + 2 + 1  # two paragraphs twice, then one


def test_a_fresh_process_stays_offline_and_out_of_home(tmp_path: Path, model_files) -> None:
    """argostranslate's first import and first translation, with sockets that always fail."""
    home = tmp_path / "fresh-home"
    home.mkdir()
    script = f"""
import socket
def no_network(*args, **kwargs):
    raise OSError("network access is not allowed")
socket.socket.connect = socket.socket.connect_ex = no_network
socket.getaddrinfo = socket.create_connection = no_network
from webhook.translator import Translator
translator = Translator()
translator.install({str(model_files[("ht", "en")])!r})
print(translator.translate("Premye fraz. Dezyèm fraz.", src="ht").text)
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "ARGOS_"))}
    env.update(HOME=str(home), PUENTE_TRANSLATION_DIR=str(tmp_path / "packages"))
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == " ".join([OUTPUTS[("ht", "en")]] * 2)
    assert list(home.iterdir()) == []


def test_detect(translator: Translator) -> None:
    detected = translator.detect(SPANISH)
    assert isinstance(detected, Detected)
    assert detected.lang == "es"
    assert 0.5 < detected.confidence <= 1.0


def test_detect_chooses_among_installed_and_given_languages(translator: Translator) -> None:
    # Installed: ht, en, es. Told about French too, so French text is not forced into those.
    assert translator.detect(HAITIAN).lang == "ht"
    french = "Mon employeur a gardé mon passeport et je voudrais parler à un avocat."
    assert Translator(translator.packages_dir, languages=["fr"]).detect(french).lang == "fr"


def test_auto_detects_then_translates(translator: Translator) -> None:
    result = translator.translate(HAITIAN, dest="en")
    assert (result.src, result.text) == ("ht", OUTPUTS[("ht", "en")])
    assert 0 < result.extra_data["confidence"] <= 1


def run_cli(*args: str, packages: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PUENTE_TRANSLATION_DIR": str(packages)}
    return subprocess.run(
        [sys.executable, "-m", "webhook.translator", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )


def test_cli_install_and_list(tmp_path: Path, model_files) -> None:
    packages = tmp_path / "packages"
    listed = run_cli("list", packages=packages)
    assert listed.returncode == 0, listed.stderr
    assert "no translation models installed" in listed.stdout

    files = [str(model_files[("ht", "en")]), str(model_files[("en", "es")])]
    installed = run_cli("install", *files, packages=packages)
    assert installed.returncode == 0, installed.stderr
    assert "installed ht -> en" in installed.stdout
    assert "installed en -> es" in installed.stdout

    listed = run_cli("list", packages=packages)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == [
        "en -> es\ttranslate-en_es-1_0",
        "ht -> en\ttranslate-ht_en-1_0",
    ]

    refused = run_cli("install", str(tmp_path / "missing.argosmodel"), packages=packages)
    assert refused.returncode == 1
    assert "missing.argosmodel" in refused.stderr


def median_ms(call, texts: List[str]) -> float:
    timings = []
    for text in texts:
        start = time.perf_counter()
        call(text)
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def test_latency(translator: Translator, record_summary) -> None:
    """Measured, not asserted: distinct texts, so every call runs the models."""
    n = 50
    start = time.perf_counter()
    translator.translate("Mwen bezwen èd.", dest="en", src="ht")
    first = (time.perf_counter() - start) * 1000
    direct = median_ms(
        lambda text: translator.translate(text, dest="en", src="ht"),
        [f"Mwen bezwen èd {i}. Patron mwen kenbe papye mwen." for i in range(n)],
    )
    pivot = median_ms(
        lambda text: translator.translate(text, dest="es", src="ht"),
        [f"Mwen bezwen èd {i}. Patron mwen kenbe papye mwen." for i in range(n, 2 * n)],
    )
    auto = median_ms(
        lambda text: translator.translate(text, dest="en"),
        [f"Mwen bezwen èd {i}. Patron mwen kenbe papye mwen." for i in range(2 * n, 3 * n)],
    )
    record_summary(
        f"translation with the tiny model: first call (loads it) {first:.1f} ms; median of two "
        f"sentences {direct:.1f} ms direct, {pivot:.1f} ms through English, {auto:.1f} ms with "
        f"detection (n={n} each)"
    )
