"""factory-boy factories that commit real rows, so other connections and threads see them."""

import functools
from datetime import UTC, datetime, timedelta

import factory
from factory.alchemy import SQLAlchemyModelFactory
from sqlalchemy import literal, select
from sqlalchemy.orm import scoped_session, sessionmaker

from board.accounts.passwords import hash_password
from board.accounts.secrets import TOKEN_PREFIX, new_secret, secret_hash
from board.appointments.changes import CARD_COLUMNS, with_event
from board.models import ApiToken, Appointment, User

Session = scoped_session(sessionmaker())

PASSWORD = "correct horse battery"
"""The password of every account a factory makes."""


class CommittingFactory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session = Session
        sqlalchemy_session_persistence = "commit"


def _next_hour() -> datetime:
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


class AppointmentFactory(CommittingFactory):
    class Meta:
        model = Appointment

    title = factory.Sequence(lambda n: f"Service #{n}")
    customer = factory.Faker("name")
    scheduled_at = factory.LazyFunction(_next_hour)
    status = "SCHEDULED"

    @factory.post_generation
    def created_event(card, create, extracted, **kwargs):
        """The `created` event the service writes with every card, so its history starts at version 1."""
        if create:
            # Written as the service writes it: numbered in the shop's sequence, with the card.
            columns = [literal(1).label("version") if c.key == "version" else c for c in CARD_COLUMNS]
            written = select(*columns).where(Appointment.id == card.id).cte("card")
            Session.execute(with_event("created", written), {"by_user_id": None, "by_token_id": None})
            Session.commit()


@functools.cache
def _password_hash() -> str:
    # Hashed once: an Argon2 hash per account would dominate the suite's time.
    return hash_password(PASSWORD)


class UserFactory(CommittingFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    name = factory.Faker("name")
    role = "staff"
    password_hash = factory.LazyFunction(_password_hash)


class ApiTokenFactory(CommittingFactory):
    class Meta:
        model = ApiToken

    label = factory.Sequence(lambda n: f"script {n}")


def token_for(user: User, **fields) -> str:
    """Make an API token for `user` (fields as in ApiToken); return its secret."""
    secret = new_secret(TOKEN_PREFIX)
    ApiTokenFactory(user_id=user.id, secret_hash=secret_hash(secret), **fields)
    return secret
