"""The webhook endpoints' admin API: make, read, change, delete, rotate; the delivery log and redelivery; who may."""

import socket
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from board.db import acting_for, as_operator
from board.models import EVENT_KINDS
from board.webhooks import addresses
from board.webhooks.endpoints import DELIVERIES_SHOWN, MAX_WEBHOOKS
from board.webhooks.signing import secret_of
from tests import factories

# Names the fake resolver knows: no test depends on the network's DNS.
PUBLIC_ADDRESS = "93.184.215.14"
NAMES = {"hooks.example": PUBLIC_ADDRESS, "sms.example": "93.184.215.15", "printer.shop.example": "10.0.0.7"}
HOOK = "https://hooks.example/board"


@pytest.fixture(autouse=True)
def fake_dns(monkeypatch):
    """Resolve NAMES as listed; addresses and `localhost` as the system does (no network needed for those)."""
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in NAMES:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (NAMES[host], port))]
        if host.endswith(".example"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(addresses.socket, "getaddrinfo", getaddrinfo)


@pytest.fixture
def secret_from(app):
    """The signing secret this app derives from a salt."""
    return lambda salt: secret_of(salt, app.extensions["board.server_key"])


def webhook_rows(engine) -> list:
    with engine.connect() as conn:
        return conn.execute(text("SELECT * FROM webhooks ORDER BY id")).all()


def created(admin_client, **body) -> dict:
    answer = admin_client.post("/api/webhooks", json={"url": HOOK, **body})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["data"]


# ---- making and reading


def test_an_admin_adds_a_webhook_and_gets_its_secret_once(admin_client, engine, secret_from):
    made = created(admin_client)

    row = webhook_rows(engine)[0]
    assert made == {
        "id": row.id,
        "url": HOOK,
        "kinds": list(EVENT_KINDS),
        "to_statuses": None,
        "enabled": True,
        "disabled_reason": None,
        "failing_since": None,
        "previous_secret_until": None,
        "pending": 0,
        "created_at": made["created_at"],
        "secret": secret_from(row.secret_salt),
    }
    assert made["secret"].startswith("whsec_")
    listed = admin_client.get("/api/webhooks")
    one = admin_client.get(f"/api/webhooks/{row.id}")
    assert listed.get_json()["data"] == [{k: v for k, v in made.items() if k != "secret"}]
    assert one.get_json()["data"] == listed.get_json()["data"][0]
    for answer in (listed, one):
        assert made["secret"] not in answer.get_data(as_text=True)
        assert "secret" not in answer.get_json()["data"] if isinstance(answer.get_json()["data"], dict) else True
    # The database holds a salt, never the secret.
    assert made["secret"].removeprefix("whsec_").encode() not in bytes(row.secret_salt)


def test_the_sms_case_sends_moves_to_ready_only_and_lists_are_read_without_repeats(admin_client):
    made = created(admin_client, kinds=["moved", "moved"], to_statuses=["READY"])

    assert (made["kinds"], made["to_statuses"]) == (["moved"], ["READY"])


def test_a_change_is_queued_for_the_new_webhook_and_counted_as_pending(admin_client):
    made = created(admin_client, kinds=["created"])
    factories.AppointmentFactory()

    assert admin_client.get(f"/api/webhooks/{made['id']}").get_json()["data"]["pending"] == 1


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "url"),
        ({"url": ""}, "url"),
        ({"url": 7}, "url"),
        ({"url": "https://hooks.example/\n"}, "url"),
        ({"url": "https://hooks.example/a b"}, "url"),
        ({"url": "https://" + "a" * 2000 + ".example/"}, "url"),
        ({"url": "https://nowhere.example/"}, "url"),
        ({"url": "https://user:pw@hooks.example/"}, "url"),
        ({"url": "ftp://hooks.example/"}, "url"),
        ({"url": HOOK, "kinds": []}, "kinds"),
        ({"url": HOOK, "kinds": ["renamed"]}, "kinds"),
        ({"url": HOOK, "kinds": "moved"}, "kinds"),
        ({"url": HOOK, "to_statuses": []}, "to_statuses"),
        ({"url": HOOK, "to_statuses": ["DONE"]}, "to_statuses"),
        ({"url": HOOK, "secret": "whsec_mine"}, "secret"),
    ],
)
def test_bad_input_is_refused_with_details_and_makes_nothing(admin_client, engine, body, field):
    answer = admin_client.post("/api/webhooks", json=body)

    assert answer.status_code == 422
    assert answer.get_json()["error"]["code"] == "validation_error"
    assert field in answer.get_json()["error"]["details"]
    assert webhook_rows(engine) == []


def test_a_shop_has_at_most_its_limit_of_webhooks(admin_client, engine):
    for _ in range(MAX_WEBHOOKS):
        created(admin_client)

    answer = admin_client.post("/api/webhooks", json={"url": HOOK})

    assert answer.status_code == 409
    assert answer.get_json()["error"]["code"] == "too_many_webhooks"
    assert len(webhook_rows(engine)) == MAX_WEBHOOKS


# ---- where a webhook may go


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://127.1.2.3:8443/hook",
        "https://10.20.30.40/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://localhost/hook",
        "https://0.0.0.0/hook",
        "https://2130706433/hook",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[::ffff:10.0.0.1]/hook",
        "https://[64:ff9b::a00:1]/hook",
        "https://[2002:a00:1::]/hook",
        "https://[fe80::1]/hook",
        "https://[fd00::1]/hook",
        "https://[fec0::1]/hook",
        "https://100.64.0.1/hook",
        "https://192.168.1.10/hook",
        "https://172.16.0.1/hook",
        "https://printer.shop.example/hook",
    ],
)
def test_an_internal_address_is_refused_unless_private_addresses_are_allowed(app, admin_client, engine, url):
    refused = admin_client.post("/api/webhooks", json={"url": url})

    assert refused.status_code == 422
    assert "internal network" in refused.get_json()["error"]["details"]["url"][0]
    assert webhook_rows(engine) == []

    app.config["BOARD_WEBHOOKS_ALLOW_PRIVATE"] = True
    accepted = admin_client.post("/api/webhooks", json={"url": url})

    assert accepted.status_code == 201
    assert accepted.get_json()["data"]["url"] == url


def test_a_change_of_url_to_an_internal_address_is_refused_and_changes_nothing(admin_client, engine):
    made = created(admin_client)

    answer = admin_client.patch(f"/api/webhooks/{made['id']}", json={"url": "https://10.0.0.1/", "enabled": False})

    assert answer.status_code == 422
    assert "url" in answer.get_json()["error"]["details"]
    assert (webhook_rows(engine)[0].url, webhook_rows(engine)[0].enabled) == (HOOK, True)


def test_http_is_refused_unless_allowed(app, admin_client):
    refused = admin_client.post("/api/webhooks", json={"url": "http://hooks.example/board"})

    assert refused.status_code == 422
    assert "https" in refused.get_json()["error"]["details"]["url"][0]

    app.config["BOARD_WEBHOOKS_ALLOW_HTTP"] = True
    assert admin_client.post("/api/webhooks", json={"url": "http://hooks.example/board"}).status_code == 201


@pytest.mark.parametrize(
    "address, is_internal",
    [
        ("8.8.8.8", False),
        ("2606:4700::1111", False),
        ("::ffff:8.8.8.8", False),
        ("64:ff9b::808:808", False),
        ("2002:808:808::", False),
        ("::7f00:1", True),
        ("64:ff9b::a9fe:a9fe", True),
        ("2002:c0a8:101::", True),
        ("fec0::1", True),
        ("224.0.0.1", True),
        ("198.18.0.1", True),
    ],
)
def test_ipv6_forms_of_internal_ipv4_addresses_are_internal_too(address, is_internal):
    import ipaddress

    assert addresses.internal(ipaddress.ip_address(address)) is is_internal


# ---- changing, deleting, rotating


def test_patch_changes_the_url_and_filters(admin_client):
    made = created(admin_client, to_statuses=["READY"])

    answer = admin_client.patch(
        f"/api/webhooks/{made['id']}",
        json={"url": "https://sms.example/in", "kinds": ["moved"], "to_statuses": None},
    )

    assert answer.status_code == 200
    data = answer.get_json()["data"]
    assert (data["url"], data["kinds"], data["to_statuses"]) == ("https://sms.example/in", ["moved"], None)
    assert "secret" not in data


def test_enabling_a_webhook_the_service_disabled_clears_its_reason_and_failing_streak(admin_client, engine):
    made = created(admin_client)
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE webhooks SET enabled = false, disabled_reason = 'Every attempt failed for 5 days.',"
                " failing_since = now() - interval '5 days'"
            )
        )
    shown = admin_client.get("/api/webhooks").get_json()["data"][0]
    assert (shown["enabled"], shown["disabled_reason"]) == (False, "Every attempt failed for 5 days.")
    assert shown["failing_since"] is not None

    answer = admin_client.patch(f"/api/webhooks/{made['id']}", json={"enabled": True})

    data = answer.get_json()["data"]
    assert (data["enabled"], data["disabled_reason"], data["failing_since"]) == (True, None, None)


def test_changes_made_while_a_webhook_is_disabled_are_not_queued_for_it(admin_client):
    made = created(admin_client)
    admin_client.patch(f"/api/webhooks/{made['id']}", json={"enabled": False})
    factories.AppointmentFactory()

    data = admin_client.get(f"/api/webhooks/{made['id']}").get_json()["data"]
    assert (data["enabled"], data["disabled_reason"], data["pending"]) == (False, None, 0)


def test_an_empty_patch_is_refused(admin_client):
    made = created(admin_client)

    answer = admin_client.patch(f"/api/webhooks/{made['id']}", json={})

    assert answer.status_code == 422


def test_delete_removes_the_webhook(admin_client, engine):
    made = created(admin_client)

    deleted = admin_client.delete(f"/api/webhooks/{made['id']}")

    assert deleted.status_code == 200
    assert deleted.get_json()["data"]["id"] == made["id"]
    assert webhook_rows(engine) == []
    assert admin_client.get(f"/api/webhooks/{made['id']}").status_code == 404
    assert admin_client.delete(f"/api/webhooks/{made['id']}").status_code == 404


def test_rotating_gives_a_new_secret_once_and_the_old_one_signs_for_24_hours(admin_client, engine, secret_from):
    made = created(admin_client)

    answer = admin_client.post(f"/api/webhooks/{made['id']}/rotate-secret")

    assert answer.status_code == 200
    rotated = answer.get_json()["data"]
    row = webhook_rows(engine)[0]
    assert rotated["secret"] == secret_from(row.secret_salt) != made["secret"]
    assert secret_from(row.previous_salt) == made["secret"]
    assert timedelta(hours=23, minutes=59) < row.previous_until - datetime.now(UTC) <= timedelta(hours=24)
    shown = admin_client.get(f"/api/webhooks/{made['id']}").get_json()["data"]
    assert shown["previous_secret_until"] == rotated["previous_secret_until"] is not None
    assert rotated["secret"] not in admin_client.get("/api/webhooks").get_data(as_text=True)


# ---- the delivery log and redelivery


def attempts_of(engine, webhook_id: int, outcomes: list[tuple[int | None, str | None]], state="failed") -> list[int]:
    """One message of the newest event for the webhook, with an attempt per outcome (oldest first); their ids."""
    with engine.begin() as conn:
        message_id = conn.scalar(
            text(
                "INSERT INTO webhook_messages (webhook_id, event_seq, state, attempts, created_at, next_attempt_at)"
                " SELECT :w, max(seq), :state, :n, now() - interval '4 days', now() - interval '1 day'"
                " FROM appointment_events RETURNING id"
            ),
            {"w": webhook_id, "state": state, "n": len(outcomes)},
        )
        return [
            conn.scalar(
                text(
                    "INSERT INTO webhook_attempts (message_id, webhook_id, attempted_at, status, error, duration_ms)"
                    " VALUES (:m, :w, now() - make_interval(mins => :ago), :status, :error, 12) RETURNING id"
                ),
                {"m": message_id, "w": webhook_id, "ago": len(outcomes) - i, "status": status, "error": error},
            )
            for i, (status, error) in enumerate(outcomes)
        ]


def test_the_delivery_log_lists_attempts_newest_first_with_their_event_type(admin_client, engine):
    made = created(admin_client, kinds=["moved"])
    factories.AppointmentFactory()
    first, second, third = attempts_of(engine, made["id"], [(None, "connection refused"), (500, None), (200, None)])

    answer = admin_client.get(f"/api/webhooks/{made['id']}/deliveries")

    assert answer.status_code == 200
    log = answer.get_json()["data"]
    assert [attempt["id"] for attempt in log] == [third, second, first]
    assert log[2] == {
        "id": first,
        "webhook_id": made["id"],
        "type": "appointment.created",
        "attempted_at": log[2]["attempted_at"],
        "status": None,
        "error": "connection refused",
        "duration_ms": 12,
    }
    assert [(attempt["status"], attempt["error"]) for attempt in log[:2]] == [(200, None), (500, None)]


def test_the_delivery_log_shows_the_newest_attempts_only(admin_client, engine):
    made = created(admin_client)
    factories.AppointmentFactory()
    ids = attempts_of(engine, made["id"], [(500, None)] * (DELIVERIES_SHOWN + 1))

    log = admin_client.get(f"/api/webhooks/{made['id']}/deliveries").get_json()["data"]

    assert [attempt["id"] for attempt in log] == ids[:0:-1]


def test_redeliver_queues_the_message_again_due_now_with_a_new_retry_window(admin_client, engine):
    made = created(admin_client)
    factories.AppointmentFactory()
    [attempt] = attempts_of(engine, made["id"], [(500, None)])

    answer = admin_client.post(f"/api/webhooks/{made['id']}/deliveries/{attempt}/redeliver")

    assert answer.status_code == 202
    with engine.connect() as conn:
        message = conn.execute(
            text(
                "SELECT m.id, state, attempts, now() - created_at AS age, next_attempt_at <= now() AS due"
                " FROM webhook_messages m JOIN webhook_attempts a ON a.message_id = m.id WHERE a.id = :a"
            ),
            {"a": attempt},
        ).one()
    assert (message.state, message.attempts, message.due) == ("pending", 0, True)
    assert message.age < timedelta(minutes=1)
    data = answer.get_json()["data"]
    assert (data["message_id"], data["webhook_id"], data["state"]) == (message.id, made["id"], "pending")
    assert data["type"] == "appointment.created"


def test_redeliver_of_an_unknown_delivery_or_another_webhooks_is_not_found(admin_client, engine):
    made = created(admin_client)
    other = created(admin_client)
    factories.AppointmentFactory()
    [attempt] = attempts_of(engine, made["id"], [(500, None)], state="failed")

    for path in (
        f"/api/webhooks/{other['id']}/deliveries/{attempt}/redeliver",
        f"/api/webhooks/{made['id']}/deliveries/{attempt + 1}/redeliver",
    ):
        answer = admin_client.post(path)
        assert answer.status_code == 404
        assert answer.get_json()["error"]["code"] == "not_found"
    with engine.connect() as conn:
        redone = "SELECT state FROM webhook_messages WHERE id = (SELECT message_id FROM webhook_attempts)"
        assert conn.scalar(text(redone)) == "failed"


# ---- who may


def other_shops_webhook(engine) -> tuple[int, int]:
    """A webhook of another shop, with one attempt; its id and the attempt's."""
    with as_operator(), engine.begin() as conn:
        shop = conn.scalar(
            text("INSERT INTO shops (slug, name, timezone) VALUES ('south', 'South', 'UTC') RETURNING id")
        )
    with acting_for(shop):
        factories.AppointmentFactory()
        with engine.begin() as conn:
            webhook_id = conn.scalar(
                text("INSERT INTO webhooks (url, kinds, secret_salt) VALUES (:u, '{created}', '\\x00') RETURNING id"),
                {"u": HOOK},
            )
        [attempt] = attempts_of(engine, webhook_id, [(500, None)])
    return webhook_id, attempt


ROUTES = [
    ("GET", "/api/webhooks/{id}", None),
    ("PATCH", "/api/webhooks/{id}", {"enabled": False}),
    ("DELETE", "/api/webhooks/{id}", None),
    ("POST", "/api/webhooks/{id}/rotate-secret", None),
    ("GET", "/api/webhooks/{id}/deliveries", None),
    ("POST", "/api/webhooks/{id}/deliveries/{attempt}/redeliver", None),
]


@pytest.mark.parametrize("method, path, body", ROUTES)
def test_another_shops_webhook_is_not_found_and_untouched(admin_client, engine, method, path, body):
    webhook_id, attempt = other_shops_webhook(engine)

    answer = admin_client.open(path.format(id=webhook_id, attempt=attempt), method=method, json=body)

    assert answer.status_code == 404
    assert answer.get_json()["error"] == {
        **answer.get_json()["error"],
        "code": "not_found",
        "message": "No such webhook.",
    }
    with as_operator(), engine.connect() as conn:
        assert conn.execute(text("SELECT enabled, previous_salt FROM webhooks")).one() == (True, None)
        assert conn.scalar(text("SELECT state FROM webhook_messages")) == "failed"
    assert admin_client.get("/api/webhooks").get_json()["data"] == []


@pytest.mark.parametrize(
    "method, path, body", [("GET", "/api/webhooks", None), ("POST", "/api/webhooks", {"url": HOOK}), *ROUTES]
)
@pytest.mark.parametrize("who", ["staff", "viewer", "admin's token limited to staff"])
def test_only_an_admins_full_credential_may_manage_webhooks(
    app, admin_client, client_for, engine, method, path, body, who
):
    made = created(admin_client)
    if who == "admin's token limited to staff":
        user = factories.UserFactory(username="al", role="admin")
        token = factories.token_for(user, role="staff")
    else:
        token = factories.token_for(factories.UserFactory(username=who, role=who))
    caller = client_for(app, {"Authorization": f"Bearer {token}"})

    answer = caller.open(path.format(id=made["id"], attempt=1), method=method, json=body)

    assert answer.status_code == 403
    assert answer.get_json()["error"]["code"] == "forbidden"
    assert [(row.id, row.enabled) for row in webhook_rows(engine)] == [(made["id"], True)]
