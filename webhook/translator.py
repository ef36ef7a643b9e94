"""Offline machine translation with argostranslate models, behind a googletrans-like interface.

    python -m webhook.translator install <file.argosmodel> [...]   install models from local files
    python -m webhook.translator list                               the installed language pairs

Models live in PUENTE_TRANSLATION_DIR (default: <repo>/.translation/). Nothing here uses the
network: models come only from local `.argosmodel` files, and sentences are split by a regex
instead of argostranslate's default splitter, which downloads a model (MiniSBD) on first use.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import functools
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import (
    Any,
    Dict,
    FrozenSet,
    Iterable,
    Iterator,
    List,
    Optional,
    Sequence,
    Tuple,
    Union,
    overload,
)

REPO = Path(__file__).resolve().parent.parent
DIR_ENV = "PUENTE_TRANSLATION_DIR"
PIVOT = "en"
AUTO = "auto"
CACHE_SIZE = 2048

Pair = Tuple[str, str]

# Sentence ends: Latin marks only before whitespace (so "3.5" and "puente.org" stay whole),
# CJK marks anywhere; closing quotes and brackets stay with their sentence. Newlines end one too.
_SENTENCE_END = re.compile(r"[.?!]+[\"'”’»)\]]*(?=\s)|[。？！]+[\"'”’»)\]」』）]*|\n+")

_IMPORT_LOCK = threading.Lock()
# argostranslate reads its folders once, at import; installing elsewhere swaps that one setting.
_INSTALL_LOCK = threading.Lock()


class TranslationError(Exception):
    """A translation could not be made."""


class MissingLanguagePair(TranslationError):
    """No installed model, direct or through English, translates src into dest."""

    def __init__(self, src: str, dest: str, missing: Sequence[Pair] = ()) -> None:
        self.src, self.dest = src, dest
        self.missing: List[Pair] = list(missing) or [(src, dest)]
        first, *pivot = [f"{a} -> {b}" for a, b in self.missing]
        message = f"no translation model installed for {first}"
        if pivot:
            message += f" (nor for {' and '.join(pivot)}, to go through {PIVOT})"
        super().__init__(message)


@dataclass(frozen=True)
class Translated:
    """One translation, with googletrans's attribute names."""

    text: str
    src: str
    dest: str
    origin: str
    pronunciation: None = None
    extra_data: Dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Detected:
    """A detected language and its probability, with googletrans's attribute names."""

    lang: str
    confidence: float


def translation_dir() -> Path:
    """Where models are installed: PUENTE_TRANSLATION_DIR, else <repo>/.translation/."""
    return Path(os.environ.get(DIR_ENV) or REPO / ".translation")


def split_sentences(text: str) -> List[str]:
    """The text's sentences, split at . ? ! 。？！ and newlines, without a model."""
    sentences, start = [], 0
    for end in _SENTENCE_END.finditer(text):
        sentences.append(text[start : end.end()])
        start = end.end()
    sentences.append(text[start:])
    return [sentence.strip() for sentence in sentences if sentence.strip()]


class _RegexSentencizer:
    """Stands in for argostranslate's sentencizer (which may download MiniSBD)."""

    def split_sentences(self, text: str) -> List[str]:
        return split_sentences(text)


@contextlib.contextmanager
def _environment(values: Dict[str, str]) -> Iterator[None]:
    """Set environment variables for the duration of a block, then put back what was there."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _argos() -> Any:
    """argostranslate, imported with its own folders in a throwaway directory (first call only)."""
    with _IMPORT_LOCK:
        if "argostranslate.settings" not in sys.modules:
            # Importing its settings creates data, config and cache folders (under the home
            # directory by default) and reads a settings.json there; we use none of them. If
            # something imported argostranslate before us, its folders are already chosen.
            scratch = Path(tempfile.mkdtemp(prefix="puente-argos-"))
            atexit.register(shutil.rmtree, scratch, True)
            with _environment(
                {
                    "XDG_DATA_HOME": str(scratch / "data"),
                    "XDG_CONFIG_HOME": str(scratch / "config"),
                    "XDG_CACHE_HOME": str(scratch / "cache"),
                    "ARGOS_PACKAGES_DIR": str(scratch / "packages"),
                }
            ):
                import argostranslate.settings  # noqa: F401
        import argostranslate.package
        import argostranslate.translate

    return argostranslate


def _read_metadata(path: Path) -> Dict[str, Any]:
    """The metadata.json of an .argosmodel file, checked before anything is extracted."""
    if not zipfile.is_zipfile(path):
        raise TranslationError(f"{path} is not an .argosmodel file (a zip archive)")
    with zipfile.ZipFile(path) as archive:
        names = [name for name in archive.namelist() if name.count("/") == 1]
        found = [name for name in names if name.endswith("/metadata.json")]
        if len(found) != 1:
            raise TranslationError(f"{path} has no <folder>/metadata.json")
        metadata = json.loads(archive.read(found[0]))
    if metadata.get("type", "translate") != "translate" or not (
        metadata.get("from_code") and metadata.get("to_code")
    ):
        raise TranslationError(f"{path} is not a translation model")
    return metadata


def install_model(path: Path, packages_dir: Optional[Path] = None) -> Pair:
    """Install a local .argosmodel file into packages_dir; return its (from, to) pair."""
    metadata = _read_metadata(Path(path))
    target = Path(packages_dir) if packages_dir else translation_dir()
    target.mkdir(parents=True, exist_ok=True)
    argos = _argos()
    with _INSTALL_LOCK:
        default = argos.settings.package_data_dir
        argos.settings.package_data_dir = target
        try:
            argos.package.install_from_path(Path(path))
        finally:
            argos.settings.package_data_dir = default
    return metadata["from_code"], metadata["to_code"]


def installed_packages(packages_dir: Optional[Path] = None) -> Dict[Pair, Any]:
    """argostranslate's installed translation packages in packages_dir, by (from, to) pair."""
    directory = Path(packages_dir) if packages_dir else translation_dir()
    if not directory.is_dir():
        return {}
    argos = _argos()
    # Package() of each folder with a metadata.json, as get_installed_packages() does, but a
    # stray file or folder there (a README, a half-copied model) is skipped instead of fatal.
    found = [
        argos.package.Package(folder)
        for folder in sorted(directory.iterdir())
        if (folder / "metadata.json").is_file()
    ]
    packages: Dict[Pair, Any] = {}
    for package in found:
        if package.type == "translate" and hasattr(package, "tokenizer"):
            packages[(package.from_code, package.to_code)] = package  # last folder name wins
    return packages


@functools.lru_cache(maxsize=1)
def _language_identifier() -> Any:
    from webhook.language import language_identifier

    return language_identifier()


class Translator:
    """googletrans's Translator, offline: argostranslate models from packages_dir.

    detect() chooses among the languages of the installed models plus `languages` (py3langid is
    unreliable on short texts, so fewer candidates mean fewer wrong guesses); with fewer than two
    candidates py3langid knows, it chooses among all of them. Packages are read once: call
    refresh() after installing models from another process.
    """

    def __init__(
        self,
        packages_dir: Optional[Path] = None,
        languages: Iterable[str] = (),
        cache_size: int = CACHE_SIZE,
    ) -> None:
        self.packages_dir = Path(packages_dir) if packages_dir else translation_dir()
        self.languages: FrozenSet[str] = frozenset(code.lower() for code in languages)
        self._lock = threading.Lock()
        self._packages: Optional[Dict[Pair, Any]] = None
        self._engines: Dict[Pair, Any] = {}
        self._cached = functools.lru_cache(maxsize=cache_size)(self._translate_text)

    @overload
    def translate(self, text: str, dest: str = ..., src: str = ...) -> Translated: ...

    @overload
    def translate(self, text: List[str], dest: str = ..., src: str = ...) -> List[Translated]: ...

    def translate(
        self, text: Union[str, List[str]], dest: str = PIVOT, src: str = AUTO
    ) -> Union[Translated, List[Translated]]:
        """Translate a text (or each of a list) into dest; src="auto" detects it first."""
        if isinstance(text, list):
            return [self.translate(item, dest, src) for item in text]
        dest, src = dest.lower(), src.lower()
        extra: Dict[str, Any] = {}
        if src == AUTO:
            if not text.strip():
                return Translated(text, dest, dest, text)  # nothing to detect or translate
            detected = self.detect(text)
            src = detected.lang
            extra["confidence"] = detected.confidence
        translated, route = self._cached(text, src, dest)
        return Translated(translated, src, dest, text, extra_data={**extra, "route": route})

    def detect(self, text: str) -> Detected:
        """The most likely language of the text, among the candidates (see the class)."""
        ranked = _language_identifier().rank(text)
        known = {code for code, _ in ranked}
        candidates = (self.languages | {code for pair in self.packages() for code in pair}) & known
        if len(candidates) >= 2:
            ranked = [(code, probability) for code, probability in ranked if code in candidates]
        total = sum(probability for _, probability in ranked) or 1.0
        code, probability = ranked[0]
        return Detected(code, probability / total)

    def pairs(self) -> List[Pair]:
        """The installed (from, to) pairs, sorted."""
        return sorted(self.packages())

    def packages(self) -> Dict[Pair, Any]:
        """The installed argostranslate packages by pair, read on first use."""
        with self._lock:
            if self._packages is None:
                self._packages = installed_packages(self.packages_dir)
            return self._packages

    def install(self, path: Path) -> Pair:
        """Install a local .argosmodel file into this translator's packages_dir."""
        pair = install_model(path, self.packages_dir)
        self.refresh()
        return pair

    def refresh(self) -> None:
        """Forget the packages, loaded models and cached translations; reread on next use."""
        with self._lock:
            self._packages = None
            self._engines.clear()
        self._cached.cache_clear()

    def route(self, src: str, dest: str) -> List[Pair]:
        """The models that take src to dest: direct, else through English."""
        packages = self.packages()
        if (src, dest) in packages:
            return [(src, dest)]
        if PIVOT in (src, dest):
            raise MissingLanguagePair(src, dest)
        legs = [(src, PIVOT), (PIVOT, dest)]
        missing = [leg for leg in legs if leg not in packages]
        if missing:
            raise MissingLanguagePair(src, dest, [(src, dest), *missing])
        return legs

    def _translate_text(self, text: str, src: str, dest: str) -> Tuple[str, Tuple[str, ...]]:
        """The text in dest, and the languages it went through (cached by the caller)."""
        if src == dest or not text.strip():
            return text, (src,)
        route = self.route(src, dest)
        for pair in route:
            text = self._translate_pair(text, pair)
        return text, (src, *(pair[1] for pair in route))

    def _translate_pair(self, text: str, pair: Pair) -> str:
        """One model's translation, paragraph by paragraph, split into sentences by our regex."""
        argos = _argos()
        package, engine = self.packages()[pair], self._engine(pair)
        paragraphs = []
        for paragraph in text.split("\n"):
            if not paragraph.strip():
                paragraphs.append("")
                continue
            hypotheses = argos.translate.apply_packaged_translation(
                package, paragraph, engine, _RegexSentencizer(), num_hypotheses=1
            )
            paragraphs.append(hypotheses[0].value)
        return "\n".join(paragraphs)

    def _engine(self, pair: Pair) -> Any:
        """The CTranslate2 model of a pair, loaded once, with argostranslate's device settings."""
        with self._lock:
            engine = self._engines.get(pair)
        if engine is not None:
            return engine
        import ctranslate2

        settings = _argos().settings
        options: Dict[str, Any] = {
            "device": settings.device,
            "inter_threads": settings.inter_threads,
            "intra_threads": settings.intra_threads,
        }
        if settings.compute_type != "auto":
            options["compute_type"] = settings.compute_type
        model = self.packages()[pair].package_path / "model"
        engine = ctranslate2.Translator(str(model), **options)
        with self._lock:
            return self._engines.setdefault(pair, engine)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """The command line: install models from local files, or list the installed pairs."""
    parser = argparse.ArgumentParser(
        prog="python -m webhook.translator",
        description=f"Offline translation models, kept in ${DIR_ENV} (default: .translation/).",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    install = commands.add_parser("install", help="install .argosmodel files from this machine")
    install.add_argument("files", nargs="+", type=Path, metavar="file.argosmodel")
    commands.add_parser("list", help="list the installed language pairs")
    args = parser.parse_args(argv)

    directory = translation_dir()
    if args.command == "install":
        for path in args.files:
            try:
                src, dest = install_model(path, directory)
            except (OSError, TranslationError) as error:
                print(f"{path}: {error}", file=sys.stderr)
                return 1
            print(f"installed {src} -> {dest} in {directory}")
        return 0
    packages = installed_packages(directory)
    if not packages:
        print(f"no translation models installed in {directory}")
    for (src, dest), package in sorted(packages.items()):
        print(f"{src} -> {dest}\t{package.package_path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
