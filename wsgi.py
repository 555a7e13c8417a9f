"""Entry point for any WSGI server: board.serving runs it under Granian as wsgi:app."""

import sys

from board import create_app
from board.config import ConfigError
from board.db import check_database

# What gunicorn reads as "the app failed to load": it then stops, rather than boot the worker again and again.
APP_LOAD_ERROR = 4

try:
    app = create_app()
    check_database(app.extensions["board.engine"])
except ConfigError as error:
    # One line saying what to fix, not a traceback: this is the operator's mistake, not board's.
    print(f"board: {error}", file=sys.stderr)
    sys.exit(APP_LOAD_ERROR)
