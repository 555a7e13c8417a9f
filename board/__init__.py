"""board: an appointment status board whose moves are never silently lost.

Environment variables:
    DATABASE_URL              PostgreSQL to use (postgresql+psycopg://user:pass@host/db). Unset: an
                              embedded PostgreSQL with its data under instance/pgdata.
    BOARD_TIMEZONE            IANA zone the board's days are counted in (default UTC).
    BOARD_RETRY_MAX_DELAY_MS  Longest random pause before the one retry of a deadlocked move (default 50).
"""

from flask import Flask

from board import api, config, db, demo, errors, retry, web


def create_app(test_config: dict | None = None) -> Flask:
    """Create the board app; test_config overrides the environment."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(config.load(test_config))
    app.url_map.converters["appointment_id"] = api.AppointmentIdConverter
    register_extensions(app)
    register_blueprints(app)
    errors.register_errorhandlers(app)
    register_commands(app)
    return app


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    retry.init_app(app)


def register_blueprints(app: Flask) -> None:
    app.register_blueprint(api.bp)
    app.register_blueprint(web.bp)


def register_commands(app: Flask) -> None:
    demo.init_app(app)
