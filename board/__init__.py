"""board: an appointment status board whose moves are never silently lost.

Environment variables:
    DATABASE_URL              PostgreSQL to use (postgresql+psycopg://user:pass@host/db). Unset: an
                              embedded PostgreSQL with its data under instance/pgdata.
    BOARD_TIMEZONE            IANA zone of new shops' board days (default UTC); each shop counts days in its own zone.
    BOARD_RETRY_MAX_DELAY_MS  Longest random pause before the one retry of a deadlocked move (default 50).
    BOARD_DB_LOCK_TIMEOUT_MS  Longest wait for a row lock before answering 503 (default 2000).
    BOARD_DB_STATEMENT_TIMEOUT_MS
                              Longest run of one SQL statement before answering 503 (default 5000).
    BOARD_DB_CONNECT_TIMEOUT_S
                              Longest wait to open a database connection (default 2, libpq's minimum).
    BOARD_DB_POOL_SIZE        Connections per process; board.serving sets it to the threads per worker (default 5).
    BOARD_DB_POOLER           Unset for a direct connection; "transaction" behind PgBouncer in transaction pooling mode.
    BOARD_DB_ROLE             The database role the service's queries run as (default board_app): owns nothing, cannot
                              bypass row security, so each shop sees only its own rows. Made by the migrations; the
                              service SET LOCAL ROLEs to it in each transaction (or DATABASE_URL logs in as it).
    BOARD_SHOP_NAME           Name of the first shop, made by the migration that adds shops (default "Main shop");
                              BOARD_TIMEZONE is that shop's zone and the default for new shops.
    BOARD_ALLOWED_HOSTS       Comma-separated Host names the service answers (Flask's TRUSTED_HOSTS; a leading
                              dot allows subdomains); any other Host gets 400. Unset: every Host.
    BOARD_TRUSTED_PROXIES     Comma-separated addresses or networks of the proxies in front: from them, the client
                              counted by the sign-in limits is the right-most X-Forwarded-For address not listed.
                              Unset: X-Forwarded-For is ignored.
    PROMETHEUS_MULTIPROC_DIR  Set by board.serving: /metrics then adds up all workers' values.
    BOARD_PUBLIC_URL          The address people open the board at (https://board.example); cookie-signed
                              writes must come from it. Unset: the request's own scheme and host.
    BOARD_SECURE_COOKIES      1 on HTTPS: the session cookie is then sent over HTTPS only.
    BOARD_SECRET_KEY          What status links and webhook signing secrets are derived from (board.keys); unset,
                              a key made once in instance/secret.key. Several machines must share one.
    BOARD_WEBHOOKS_ALLOW_HTTP 1: webhook URLs may be http as well as https (default off).
    BOARD_WEBHOOKS_ALLOW_PRIVATE
                              1: webhooks may go to loopback, private and other internal addresses (default off:
                              such URLs are refused, as a guard against requests into the shop's own network).
    BOARD_READS_PER_CREDENTIAL
                              Board reads over more than one day one token or session may have running at once, per worker
                              process; more get 429 too_many_requests (default 1).
    BOARD_WORKERS, BOARD_THREADS, BOARD_BIND
                              Granian's worker processes, app threads per worker and address (board/serving.py).
    BOARD_LIVE_HEARTBEAT_S    Seconds between the keep-alive comments of an idle /api/events stream (default 15).
"""

from flask import Flask

# The submodules are imported inside the functions, as in Flask's tutorial: importing the package
# alone (as python -m board.serving does) must not import prometheus-client before the main
# process has set PROMETHEUS_MULTIPROC_DIR.


def create_app(test_config: dict | None = None) -> Flask:
    """Create the board app; test_config overrides the environment."""
    from board import config, errors
    from board.accounts import permissions
    from board.http import idempotency
    from board.http.route_io import AppointmentIdConverter

    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(config.load(test_config))
    app.url_map.converters["appointment_id"] = AppointmentIdConverter
    app.url_map.converters["row_id"] = AppointmentIdConverter
    register_extensions(app)
    register_blueprints(app)
    permissions.init_app(app)
    idempotency.init_app(app)
    errors.register_errorhandlers(app)
    register_commands(app)
    register_middleware(app)
    return app


def register_extensions(app: Flask) -> None:
    from board import db, keys, logs, retry
    from board.accounts import passwords
    from board.http import compression, headers, limits

    logs.init_app(app)
    headers.init_app(app)
    compression.init_app(app)
    limits.init_app(app)
    db.init_app(app)
    keys.init_app(app)
    passwords.use_profile(app.config["BOARD_PASSWORD_PROFILE"])
    passwords.limit_concurrent_hashes(app.config["BOARD_CONCURRENT_HASHES"])
    retry.init_app(app)


def register_blueprints(app: Flask) -> None:
    from board import metrics, web
    from board.accounts import api as accounts_api
    from board.appointments import api as appointments_api
    from board.http import api_docs
    from board.live import api as live_api
    from board.shops import api as shops_api
    from board.status_links import api as status_links_api
    from board.status_links import page as status_links_page
    from board.webhooks import api as webhooks_api

    app.register_blueprint(appointments_api.bp)
    app.register_blueprint(shops_api.bp)
    app.register_blueprint(webhooks_api.bp)
    app.register_blueprint(live_api.bp)
    app.register_blueprint(accounts_api.bp)
    app.register_blueprint(api_docs.bp)
    app.register_blueprint(web.bp)
    app.register_blueprint(status_links_api.bp)
    app.register_blueprint(status_links_page.bp)
    metrics.init_app(app)


def register_middleware(app: Flask) -> None:
    from board.http.request_body import CountedBody

    app.wsgi_app = CountedBody(app.wsgi_app, app.config["MAX_CONTENT_LENGTH"])


def register_commands(app: Flask) -> None:
    from board import demo
    from board.accounts import cli
    from board.shops import cli as shops_cli

    demo.init_app(app)
    cli.init_app(app)
    shops_cli.init_app(app)
