"""The sign-in throttle: per username and address, per address, the hashing slot, the client's address."""

import ipaddress
import threading

import pytest
from sqlalchemy import text

from board.accounts import passwords, throttle
from board.config import ConfigError
from board.http.client_address import forwarded_client, parse_address
from tests.factories import PASSWORD, UserFactory
from tests.helpers import metric_sample

OWNER_ADDRESS = "198.51.100.7"
GUESSER_ADDRESS = "203.0.113.5"
PROXY_ADDRESS = "10.0.0.2"


def sign_in(client, username: str, password: str, address: str = "127.0.0.1", forwarded_for: str | None = None):
    headers = {} if forwarded_for is None else {"X-Forwarded-For": forwarded_for}
    return client.post(
        "/api/session",
        json={"username": username, "password": password},
        headers=headers,
        environ_base={"REMOTE_ADDR": address},
    )


def failures(reason: str) -> float:
    return metric_sample("board_sign_in_failures_total", reason=reason)


def failure_rows(engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(
            "SELECT username_key, client_address FROM sign_in_failures ORDER BY id"
        ))]  # fmt: skip


def test_wrong_current_passwords_count_as_failed_sign_ins_and_are_throttled(client, anonymous, staff):
    wrong = {"current_password": "not my password", "new_password": "a new passphrase"}
    right = {"current_password": PASSWORD, "new_password": "a new passphrase"}
    counted_before = failures("wrong_password")

    answers = [client.post("/api/me/password", json=wrong).status_code for _ in range(5)]
    refused = client.post("/api/me/password", json=right)
    sign_in_refused = sign_in(anonymous, "sam", PASSWORD)

    assert answers == [422] * 5
    assert refused.status_code == 429 and refused.get_json()["error"]["code"] == "too_many_attempts"
    assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60
    assert sign_in_refused.status_code == 429, "the same limit as sign-ins: same account, same address"
    assert failures("wrong_password") == counted_before + 5
    assert sign_in(anonymous, "sam", PASSWORD, address=OWNER_ADDRESS).status_code == 200
    assert sign_in(anonymous, "sam", "a new passphrase", address=OWNER_ADDRESS).status_code == 401, "not changed"


def test_a_right_current_password_forgets_the_failures_from_that_address(client, engine, staff):
    client.post("/api/me/password", json={"current_password": "not my password", "new_password": "x" * 12})

    changed = client.post("/api/me/password", json={"current_password": PASSWORD, "new_password": "a new passphrase"})

    assert changed.status_code == 200
    assert failure_rows(engine) == []


def test_the_owner_signs_in_from_a_clean_address_while_a_guesser_is_locked_out(anonymous, staff):
    throttled_before = failures("throttled")

    guesses = [sign_in(anonymous, "SAM", f"guess {n}", address=GUESSER_ADDRESS).status_code for n in range(5)]
    guesser_with_the_password = sign_in(anonymous, "sam", PASSWORD, address=GUESSER_ADDRESS)
    owner = sign_in(anonymous, "sam", PASSWORD, address=OWNER_ADDRESS)

    assert guesses == [401] * 5
    assert guesser_with_the_password.status_code == 429
    assert guesser_with_the_password.get_json()["error"]["code"] == "too_many_attempts"
    assert owner.status_code == 200
    assert failures("throttled") == throttled_before + 1


def test_failures_spread_over_many_addresses_never_refuse_a_clean_address(anonymous, staff):
    spread = [sign_in(anonymous, "sam", "guess", address=f"192.0.2.{n}").status_code for n in range(1, 41)]

    assert spread == [401] * 40
    assert sign_in(anonymous, "sam", PASSWORD, address=OWNER_ADDRESS).status_code == 200


def test_twenty_failures_from_one_address_refuse_it_every_username(anonymous, staff):
    UserFactory(username="ana")
    address_throttled_before = failures("address_throttled")

    spread = [sign_in(anonymous, f"nobody{n}", "guess", address=GUESSER_ADDRESS).status_code for n in range(20)]
    real_account = sign_in(anonymous, "ana", PASSWORD, address=GUESSER_ADDRESS)
    elsewhere = sign_in(anonymous, "ana", PASSWORD, address=OWNER_ADDRESS)

    assert spread == [401] * 20, "at most 4 per username, so only the per-address limit can refuse"
    assert real_account.status_code == 429 and "from your address" in real_account.get_json()["error"]["message"]
    assert int(real_account.headers["Retry-After"]) > 0
    assert elsewhere.status_code == 200
    assert failures("address_throttled") == address_throttled_before + 1


def test_an_ipv6_client_is_counted_by_its_64(anonymous, staff):
    guesses = [sign_in(anonymous, "sam", "guess", address=f"2001:db8:0:1::{n:x}").status_code for n in range(1, 6)]

    same_64 = sign_in(anonymous, "sam", PASSWORD, address="2001:db8:0:1:ffff::1")
    other_64 = sign_in(anonymous, "sam", PASSWORD, address="2001:db8:0:2::1")

    assert guesses == [401] * 5
    assert same_64.status_code == 429
    assert other_64.status_code == 200


def test_behind_a_trusted_proxy_the_forwarded_address_is_counted(make_app, app, staff):
    behind_proxy = make_app(BOARD_TRUSTED_PROXIES=f"{PROXY_ADDRESS}, 127.0.0.0/8").test_client()

    guesses = [
        sign_in(
            behind_proxy, "sam", "guess", address=PROXY_ADDRESS, forwarded_for=f"{OWNER_ADDRESS}, {GUESSER_ADDRESS}"
        )
        for _ in range(5)
    ]
    guesser = sign_in(behind_proxy, "sam", PASSWORD, address=PROXY_ADDRESS, forwarded_for=GUESSER_ADDRESS)
    owner = sign_in(behind_proxy, "sam", PASSWORD, address=PROXY_ADDRESS, forwarded_for=OWNER_ADDRESS)

    assert [answer.status_code for answer in guesses] == [401] * 5
    assert guesser.status_code == 429, "the right-most untrusted address was counted, not the forged one left of it"
    assert owner.status_code == 200, "the proxy's own address was not counted"


def test_a_forged_x_forwarded_for_from_an_untrusted_peer_is_ignored(make_app, app, staff):
    trusting_another = make_app(BOARD_TRUSTED_PROXIES=PROXY_ADDRESS).test_client()

    guesses = [
        sign_in(trusting_another, "sam", "guess", address=GUESSER_ADDRESS, forwarded_for=f"192.0.2.{n}")
        for n in range(1, 6)
    ]
    forged_clean = sign_in(trusting_another, "sam", PASSWORD, address=GUESSER_ADDRESS, forwarded_for=OWNER_ADDRESS)
    unset = sign_in(make_app().test_client(), "sam", PASSWORD, address=GUESSER_ADDRESS, forwarded_for=OWNER_ADDRESS)

    assert [answer.status_code for answer in guesses] == [401] * 5
    assert forged_clean.status_code == 429
    assert unset.status_code == 429, "unset BOARD_TRUSTED_PROXIES: X-Forwarded-For is ignored"


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "client"),
    [
        ("203.0.113.5", ["198.51.100.7"], "203.0.113.5"),  # untrusted peer: the header is ignored
        ("10.0.0.2", [], "10.0.0.2"),  # a trusted proxy's own request
        ("10.0.0.2", ["198.51.100.7"], "198.51.100.7"),
        ("10.0.0.2", ["1.1.1.1", " 198.51.100.7"], "198.51.100.7"),  # left of the client: forged, unread
        ("10.0.0.2", ["198.51.100.7", "10.0.0.3"], "198.51.100.7"),  # two proxies
        ("10.0.0.2", ["10.0.0.9", "10.0.0.3"], "10.0.0.9"),  # all trusted: the farthest
        ("10.0.0.2", ["not an address", "10.0.0.3"], "10.0.0.3"),  # garbage: the last trusted hop
        ("10.0.0.2", ["2001:db8::1"], "2001:db8::1"),
        ("::ffff:10.0.0.2", ["::ffff:198.51.100.7"], "198.51.100.7"),  # IPv4 mapped into IPv6
    ],
)
def test_the_client_is_the_right_most_address_that_is_not_a_trusted_proxy(peer, forwarded_for, client):
    trusted = (ipaddress.ip_network("10.0.0.0/8"),)

    assert str(forwarded_client(parse_address(peer), forwarded_for, trusted)) == client


def test_a_trusted_proxy_that_is_not_an_address_stops_the_start(make_app):
    with pytest.raises(ConfigError, match="BOARD_TRUSTED_PROXIES"):
        make_app(BOARD_TRUSTED_PROXIES="10.0.0.0/8, proxy.internal")


class HeldHasher:
    """A hasher whose first verify waits, holding its hashing slot, until the test lets it go."""

    def __init__(self, real):
        self.real = real
        self.inside = threading.Event()
        self.release = threading.Event()

    def verify(self, password_hash, password):
        if not self.inside.is_set():
            self.inside.set()
            assert self.release.wait(30), "the test never let the held hash go"
        return self.real.verify(password_hash, password)

    def __getattr__(self, name):
        return getattr(self.real, name)


def test_a_sign_in_finding_the_hashing_slot_taken_is_429_at_once(app, anonymous, staff, engine, monkeypatch):
    UserFactory(username="ana")
    hasher = HeldHasher(passwords._hasher)
    monkeypatch.setattr(passwords, "_hasher", hasher)
    busy_before = failures("busy")
    held_answer = []
    held = threading.Thread(target=lambda: held_answer.append(sign_in(app.test_client(), "sam", PASSWORD)))
    held.start()
    try:
        assert hasher.inside.wait(30)
        refused = sign_in(anonymous, "ana", PASSWORD, address=OWNER_ADDRESS)
        rows_while_held = failure_rows(engine)
    finally:
        hasher.release.set()
        held.join(30)

    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "too_many_attempts"
    assert refused.headers["Retry-After"] == "1"
    assert rows_while_held == [("sam", "127.0.0.1")], "the refused attempt counted as no failure of ana's"
    assert failures("busy") == busy_before + 1
    assert held_answer[0].status_code == 200
    assert sign_in(anonymous, "ana", PASSWORD, address=OWNER_ADDRESS).status_code == 200, "the slot is free again"


def test_expired_failures_of_other_usernames_are_purged_a_batch_at_a_time(anonymous, engine):
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO sign_in_failures (username_key, client_address, failed_at)"
                " SELECT 'gone' || n, '192.0.2.1', now() - interval '16 minutes' FROM generate_series(1, 120) n"
            )
        )
        conn.execute(text(
            "INSERT INTO sign_in_failures (username_key, client_address) VALUES ('recent', '192.0.2.1')"
        ))  # fmt: skip

    sign_in(anonymous, "nobody", "guess")
    after_one = failure_rows(engine)
    sign_in(anonymous, "nobody", "guess")
    after_two = failure_rows(engine)

    assert len(after_one) == 120 - throttle.PURGE_BATCH + 1 + 1
    assert after_two == [("recent", "192.0.2.1"), ("nobody", "127.0.0.1"), ("nobody", "127.0.0.1")]
