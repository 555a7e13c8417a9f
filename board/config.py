"""Configuration: defaults, overridden by environment variables, overridden by test_config."""

import ipaddress
import os
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# BOARD_DB_POOLER's values besides unset: what sits between board and PostgreSQL.
POOLERS = ("transaction",)

DEFAULTS = {
    "DATABASE_URL": None,
    "BOARD_TIMEZONE": "UTC",
    "BOARD_RETRY_MAX_DELAY_MS": 50,
    # A stuck lock or a runaway query must end in a 503 rather than hang a request thread.
    "BOARD_DB_LOCK_TIMEOUT_MS": 2000,
    "BOARD_DB_STATEMENT_TIMEOUT_MS": 5000,
    # libpq rounds anything below 2 up to 2 seconds.
    "BOARD_DB_CONNECT_TIMEOUT_S": 2,
    # One connection per request thread; board.serving sets it to the worker's threads.
    "BOARD_DB_POOL_SIZE": 5,
    # What sits between board and PostgreSQL: unset for a direct connection, "transaction" for
    # PgBouncer (made for its transaction pooling mode; right in session pooling mode too).
    "BOARD_DB_POOLER": None,
    # The database role the service's queries run as (SET LOCAL ROLE in each transaction): it owns
    # nothing and cannot bypass row security, so each shop sees only its own rows. Made by the migrations.
    "BOARD_DB_ROLE": "board_app",
    # Where each worker's one LISTEN connection for the live stream goes: DATABASE_URL unless set.
    # Behind PgBouncer in transaction mode LISTEN does not work: set it to PostgreSQL itself.
    "BOARD_LISTEN_URL": None,
    "MAX_CONTENT_LENGTH": 64 * 1024,
    "BOARD_PUBLIC_URL": None,
    # What webhooks' signing secrets and status links are derived from (board.keys): unset, a key
    # made once in the instance folder. Several machines serving one database must share one.
    "BOARD_SECRET_KEY": None,
    "BOARD_SECURE_COOKIES": False,
    # Webhooks go to https URLs on public addresses only (board.webhooks.addresses); these let a
    # test or a closed network send to http, or to loopback and private addresses.
    "BOARD_WEBHOOKS_ALLOW_HTTP": False,
    "BOARD_WEBHOOKS_ALLOW_PRIVATE": False,
    # An argon2-cffi profile name. Not read from the environment: only the tests pick another
    # (CHEAPEST, since they hash many passwords), so no deployment can weaken it by accident.
    "BOARD_PASSWORD_PROFILE": "RFC_9106_LOW_MEMORY",
    "BOARD_ALLOWED_HOSTS": None,
    # Comma-separated addresses or networks of the proxies in front: only a request from one of
    # them has its X-Forwarded-For read for the client's address (board.http.client_address).
    "BOARD_TRUSTED_PROXIES": None,
    # Argon2 hashes one worker runs at once; a sign-in finding them all busy gets 429 at once, so
    # a flood of sign-ins cannot take every thread (and every core) from the other requests.
    # Not from the environment: more would undo what the limit is for.
    "BOARD_CONCURRENT_HASHES": 1,
    # Board reads over more than one day one credential may have running at once, in each worker process.
    "BOARD_READS_PER_CREDENTIAL": 1,
}
_NOT_FROM_ENVIRONMENT = ("MAX_CONTENT_LENGTH", "BOARD_PASSWORD_PROFILE", "BOARD_CONCURRENT_HASHES")

_INTEGER_SETTINGS = (
    "BOARD_RETRY_MAX_DELAY_MS",
    "BOARD_DB_LOCK_TIMEOUT_MS",
    "BOARD_DB_STATEMENT_TIMEOUT_MS",
    "BOARD_DB_CONNECT_TIMEOUT_S",
    "BOARD_DB_POOL_SIZE",
    "BOARD_CONCURRENT_HASHES",
    "BOARD_READS_PER_CREDENTIAL",
)

_BOOLEAN_SETTINGS = ("BOARD_SECURE_COOKIES", "BOARD_WEBHOOKS_ALLOW_HTTP", "BOARD_WEBHOOKS_ALLOW_PRIVATE")


class ConfigError(RuntimeError):
    """A setting has a value the service cannot run with."""


def load(test_config: dict | None = None) -> dict:
    """Return the settings: defaults, then the environment, then test_config."""
    settings = dict(DEFAULTS)
    for name in DEFAULTS:
        if name in os.environ and name not in _NOT_FROM_ENVIRONMENT:
            settings[name] = os.environ[name] or None
    if test_config:
        settings.update(test_config)
    return _validated(settings)


def _validated(settings: dict) -> dict:
    for name in _INTEGER_SETTINGS:
        try:
            settings[name] = int(settings[name])
        except (TypeError, ValueError):
            raise ConfigError(f"{name} must be a whole number, got {settings[name]!r}.") from None
        if settings[name] < 0:
            raise ConfigError(f"{name} must not be negative, got {settings[name]}.")
    for name in ("BOARD_DB_POOL_SIZE", "BOARD_CONCURRENT_HASHES", "BOARD_READS_PER_CREDENTIAL"):
        if settings[name] < 1:
            raise ConfigError(f"{name} must be at least 1, got {settings[name]}.")
    for name in _BOOLEAN_SETTINGS:
        settings[name] = str(settings[name]).lower() in ("1", "true", "yes")
    if settings["BOARD_PASSWORD_PROFILE"] not in ("RFC_9106_LOW_MEMORY", "RFC_9106_HIGH_MEMORY", "CHEAPEST"):
        raise ConfigError(
            f"BOARD_PASSWORD_PROFILE is not an argon2-cffi profile: {settings['BOARD_PASSWORD_PROFILE']!r}."
        )
    if settings["BOARD_DB_POOLER"] not in (None, *POOLERS):
        raise ConfigError(
            f"BOARD_DB_POOLER must be unset or 'transaction' (PgBouncer in transaction pooling mode), "
            f"got {settings['BOARD_DB_POOLER']!r}."
        )
    zone_name = settings["BOARD_TIMEZONE"] or "UTC"
    try:
        settings["BOARD_ZONEINFO"] = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"BOARD_TIMEZONE must be an IANA time zone name such as Europe/Berlin, got {zone_name!r}."
        ) from None
    settings["BOARD_TIMEZONE"] = zone_name
    settings["TRUSTED_HOSTS"] = _host_list(settings["BOARD_ALLOWED_HOSTS"])
    settings["BOARD_TRUSTED_PROXY_NETWORKS"] = _networks(settings["BOARD_TRUSTED_PROXIES"])
    return settings


def _networks(listed: str | list | None) -> tuple:
    """BOARD_TRUSTED_PROXIES as ipaddress networks (a bare address is a network of one)."""
    if isinstance(listed, str):
        listed = listed.split(",")
    networks = []
    for part in (part.strip() for part in listed or ()):
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ConfigError(
                f"BOARD_TRUSTED_PROXIES must be comma-separated IP addresses or networks such as "
                f"10.0.0.0/8, got {part!r}."
            ) from None
    return tuple(networks)


def _host_list(allowed: str | list | None) -> list[str] | None:
    """BOARD_ALLOWED_HOSTS as Flask's TRUSTED_HOSTS: None (every Host) when unset or empty."""
    if isinstance(allowed, str):
        allowed = [host.strip() for host in allowed.split(",")]
    hosts = [host for host in allowed or () if host]
    return hosts or None
