"""Run the web layer: `python -m webhook` (PUENTE_WEB_HOST, PUENTE_WEB_PORT)."""

import os
import threading
from typing import Optional

from flask import Flask

from webhook import create_app, sweeper


def start_sweeper(app: Flask) -> Optional[threading.Thread]:
    """Starts the unclaimed-handoff sweeper in the background, unless its interval is 0."""
    interval = app.config["SWEEP_INTERVAL_SECONDS"]
    if interval <= 0:
        return None
    # A daemon: the sweeper must never keep a stopping server alive.
    thread = threading.Thread(
        target=sweeper.run_forever,
        args=(app, interval, threading.Event()),
        name="handoff-sweeper",
        daemon=True,
    )
    thread.start()
    return thread


def main() -> None:
    """Serve the app with a threaded server, for development and the test stack."""
    app = create_app()
    start_sweeper(app)
    app.run(
        host=os.environ.get("PUENTE_WEB_HOST", "127.0.0.1"),
        port=int(os.environ.get("PUENTE_WEB_PORT", "8000")),
        threaded=True,
        use_reloader=False,
        debug=False,
    )


if __name__ == "__main__":
    main()
