"""Run the web layer: `python -m webhook` (PUENTE_WEB_HOST, PUENTE_WEB_PORT)."""

import os

from webhook import create_app


def main() -> None:
    """Serve the app with a threaded server, for development and the test stack."""
    app = create_app()
    app.run(
        host=os.environ.get("PUENTE_WEB_HOST", "127.0.0.1"),
        port=int(os.environ.get("PUENTE_WEB_PORT", "8000")),
        threaded=True,
        use_reloader=False,
        debug=False,
    )


if __name__ == "__main__":
    main()
