"""Entry point for any WSGI server: gunicorn wsgi:app."""

from board import create_app

app = create_app()
