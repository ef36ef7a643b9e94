"""Train the Rasa model when the training data changed; reuse it otherwise.

Usage: python -m scripts.model   (prints the model's path)
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MODELS = REPO / "models"
TRAINING_INPUTS = ("config.yml", "domain.yml", "bot/intent_classifier.py")
TRAINING_DATA = REPO / "bot" / "data"


def fingerprint() -> str:
    """A hash of everything training reads: config, domain, the classifier's code and bot/data."""
    digest = hashlib.sha256()
    paths = [REPO / name for name in TRAINING_INPUTS] + sorted(TRAINING_DATA.rglob("*.yml"))
    for path in paths:
        digest.update(str(path.relative_to(REPO)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def model_path() -> Path:
    """Where the model for the current data lives (it may not exist yet)."""
    return MODELS / f"puente-{fingerprint()}.tar.gz"


# The config, domain and data every rasa command (train, test, validate) is given.
PROJECT_ARGS = ("--config", "config.yml", "--domain", "domain.yml", "--data", "bot/data")


def rasa_env() -> dict:
    """Environment for Rasa commands: offline, quiet, with the repo importable."""
    env = dict(os.environ)
    env.update(
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="2",
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        PYTHONPATH=str(REPO),
    )
    return env


def rasa_command() -> str:
    """The rasa executable of the interpreter running this code."""
    return str(Path(sys.executable).parent / "rasa")


def ensure_model() -> Path:
    """Train unless a model for exactly this data exists; return its path."""
    path = model_path()
    if path.exists():
        return path
    MODELS.mkdir(exist_ok=True)
    subprocess.run(
        [
            rasa_command(),
            "train",
            *PROJECT_ARGS,
            "--out",
            str(MODELS),
            "--fixed-model-name",
            path.name.removesuffix(".tar.gz"),
        ],
        cwd=REPO,
        env=rasa_env(),
        check=True,
    )
    return path


if __name__ == "__main__":
    print(ensure_model())
