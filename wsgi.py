"""Entry point for any WSGI server: board.serving runs it under Granian as wsgi:app."""

from board import create_app

app = create_app()
