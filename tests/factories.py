"""factory-boy factories that commit real rows, so other connections and threads see them."""

from datetime import UTC, datetime, timedelta

import factory
from factory.alchemy import SQLAlchemyModelFactory
from sqlalchemy.orm import scoped_session, sessionmaker

from board.models import Appointment

Session = scoped_session(sessionmaker())


def _next_hour() -> datetime:
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


class AppointmentFactory(SQLAlchemyModelFactory):
    class Meta:
        model = Appointment
        sqlalchemy_session = Session
        sqlalchemy_session_persistence = "commit"

    title = factory.Sequence(lambda n: f"Service #{n}")
    customer = factory.Faker("name")
    scheduled_at = factory.LazyFunction(_next_hour)
    status = "SCHEDULED"
