"""The test stories in tests/stories/ against the trained model, and the training data's validation.

`rasa test core` (without --e2e) checks the dialogue only: it takes each story's `intent:` label as
given and never runs the NLU model on the `user:` text. So a second test runs the same stories with
--e2e, where Rasa also parses every `user:` text and checks the intent the model predicts.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest
import yaml

from scripts.model import PROJECT_ARGS, REPO, rasa_command, rasa_env

STORIES = REPO / "tests" / "stories"
RULES = REPO / "bot" / "data" / "rules"
FAILED_STORIES = "failed_test_stories.yml"
TIMEOUT_SECONDS = 600
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def run_rasa(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [rasa_command(), *args],
        cwd=REPO,
        env=rasa_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,  # one stream, in order
        text=True,
        timeout=TIMEOUT_SECONDS,
    )


def plain(text: str) -> str:
    return ANSI.sub("", text)


def output_tail(result: subprocess.CompletedProcess, lines: int = 40) -> str:
    """Rasa's error (a WrongPredictionException prints the failed story), else its last lines."""
    text = plain(result.stdout or "")
    if "WrongPredictionException" in text:
        return text[text.index("WrongPredictionException") :]
    return "\n".join(text.splitlines()[-lines:])


def failed_stories(out: Path) -> str:
    path = out / FAILED_STORIES
    return path.read_text(encoding="utf-8") if path.exists() else f"({FAILED_STORIES} not written)"


def test_stories_pass(model_path: Path, tmp_path: Path):
    """Every test story's actions are the ones the model predicts, given the stories' intents."""
    result = run_rasa(
        "test",
        "core",
        "--model",
        str(model_path),
        "--stories",
        "tests/stories",
        "--fail-on-prediction-errors",
        "--out",
        str(tmp_path),
    )
    assert result.returncode == 0, (
        f"rasa test core exited {result.returncode}.\n"
        f"--- {FAILED_STORIES}:\n{failed_stories(tmp_path)}\n"
        f"--- output (end):\n{output_tail(result)}"
    )


def test_stories_pass_end_to_end(model_path: Path, tmp_path: Path):
    """The same stories with --e2e: the NLU model must also read each `user:` text as labelled.

    Rasa only reads files named test_*.yml as end-to-end tests, so the stories are copied under
    that name. Without --fail-on-prediction-errors Rasa checks every story and writes all the
    failures, each misread text marked `# predicted: <intent>: <text>`.
    """
    stories = tmp_path / "stories"
    stories.mkdir()
    for path in sorted(STORIES.glob("*.yml")):
        shutil.copy(path, stories / f"test_{path.name}")
    out = tmp_path / "results"
    result = run_rasa(
        "test",
        "core",
        "--e2e",
        "--model",
        str(model_path),
        "--stories",
        str(stories),
        "--out",
        str(out),
    )
    assert result.returncode == 0, output_tail(result)
    assert (out / FAILED_STORIES).exists(), output_tail(result)
    report = failed_stories(out)
    failed = (yaml.safe_load(report) or {}).get("stories") or []
    if failed:
        misread = sorted(
            {
                line.split("# predicted: ", 1)[1]
                for line in report.splitlines()
                if "# predicted: " in line
            }
        )
        pytest.fail(
            f"{len(failed)} stories fail end to end. Texts the NLU model misreads "
            f"(predicted intent: text):\n  "
            + "\n  ".join(misread)
            + f"\n--- {FAILED_STORIES}:\n{report}",
            pytrace=False,
        )


def test_data_validates_without_warnings():
    """`rasa data validate` passes, and prints no warning: Rasa 3.6's --fail-on-warnings ignores
    some (an intent with no NLU examples still exits 0: rasa/validator.py verify_intents)."""
    result = run_rasa("data", "validate", *PROJECT_ARGS, "--fail-on-warnings")
    assert result.returncode == 0, output_tail(result)
    warnings = [line for line in plain(result.stdout).splitlines() if "UserWarning" in line]
    if warnings:
        pytest.fail("rasa data validate warned:\n" + "\n".join(warnings), pytrace=False)


# Every flow in bot/data/rules has a test story, in English and in Spanish.

Step = Tuple[Any, ...]


def normalise(steps: List[Dict[str, Any]]) -> List[Step]:
    """Intents, actions and slot values in order; the texts left out."""
    result: List[Step] = []
    for step in steps:
        if "intent" in step:
            result.append(("intent", step["intent"]))
        elif "or" in step:  # any one of these intents
            result.append(("intent", frozenset(s["intent"] for s in step["or"])))
        elif "action" in step:
            result.append(("action", step["action"]))
        elif "slot_was_set" in step:
            for item in step["slot_was_set"]:
                ((name, value),) = item.items() if isinstance(item, dict) else ((item, None),)
                result.append(("slot", name, value))
    return result


def contains(story: List[Step], rule: List[Step], at_start: bool) -> bool:
    # Slots the rule does not mention (a form's answers) may be set in between its steps.
    mentioned = {step[1] for step in rule if step[0] == "slot"}
    story = [step for step in story if step[0] != "slot" or step[1] in mentioned]
    starts = [0] if at_start else range(len(story) - len(rule) + 1)
    return any(
        all(same_step(s, r) for s, r in zip(story[i : i + len(rule)], rule, strict=True))
        for i in starts
    )


def same_step(story_step: Step, rule_step: Step) -> bool:
    """A story step matches a rule step; a rule's "or" matches any of its intents."""
    if rule_step[0] == "intent" and isinstance(rule_step[1], frozenset):
        return story_step[0] == "intent" and story_step[1] in rule_step[1]
    return story_step == rule_step


def rules() -> Iterator[Tuple[str, str, List[Step], bool]]:
    for path in sorted(RULES.glob("*.yml")):
        for rule in yaml.safe_load(path.read_text(encoding="utf-8"))["rules"]:
            yield (
                path.name,
                rule["rule"],
                normalise(rule["steps"]),
                bool(rule.get("conversation_start")),
            )


def stories_in(language: str) -> List[Tuple[str, List[Step]]]:
    found = []
    for path in sorted(STORIES.glob("*.yml")):
        for story in yaml.safe_load(path.read_text(encoding="utf-8"))["stories"]:
            if story["story"].endswith(f"({language})"):
                found.append((f"{path.name}: {story['story']}", normalise(story["steps"])))
    return found


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_rule_has_a_story(language: str):
    stories = stories_in(language)
    assert stories, f"no test stories marked ({language})"
    uncovered = [
        f"{file}: {name}"
        for file, name, steps, at_start in rules()
        if not any(contains(story, steps, at_start) for _, story in stories)
    ]
    assert not uncovered, f"rules with no ({language}) test story: {uncovered}"


def test_story_texts_are_not_training_examples():
    """The test texts are new: none is an example in bot/data/nlu (compared loosely)."""
    from tests.nlu_eval import TRAINING_DIR, examples
    from tests.nlu_eval import normalise as normalise_text

    training = {normalise_text(text) for text, _ in examples(TRAINING_DIR)}
    copied = []
    for path in sorted(STORIES.glob("*.yml")):
        for story in yaml.safe_load(path.read_text(encoding="utf-8"))["stories"]:
            for step in story["steps"]:
                text = (step.get("user") or "").strip()
                if text and not text.startswith("/") and normalise_text(text) in training:
                    copied.append(f"{path.name}: {text}")
    assert not copied, f"test texts copied from the training data: {copied}"
