"""What comes in for accounts, tokens and sign-in (marshmallow), and what goes out (plain dicts)."""

import unicodedata
from datetime import UTC, datetime

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates, validates_schema

from board.accounts.passwords import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from board.fields import LATEST_TIME, Text, refuse_invalid_characters
from board.models import ID_MAX, ROLES

USERNAME_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"
# A password may hold a tab or any other control character but NUL: PostgreSQL cannot store NUL in
# text, and some clients cut a string at it.
CONTROLS_BUT_NUL = "".join(char for char in map(chr, range(1, 160)) if unicodedata.category(char) == "Cc")


class Username(fields.String):
    """A username as sent, refused if it holds a control character or a lone surrogate."""

    def _deserialize(self, value, attr, data, **kwargs):
        username = super()._deserialize(value, attr, data, **kwargs)
        # Before the pattern, whose `$` also matches before a final newline.
        refuse_invalid_characters(username, "Must not contain control characters such as newlines or NUL.")
        return username


class Password(fields.String):
    """A password exactly as sent, never stripped (every character counts), without NUL or lone surrogates."""

    def _deserialize(self, value, attr, data, **kwargs):
        password = super()._deserialize(value, attr, data, **kwargs)
        refuse_invalid_characters(password, "Must not contain NUL.", allowed_controls=CONTROLS_BUT_NUL)
        return password


def _username() -> Username:
    return Username(
        required=True,
        validate=validate.Regexp(USERNAME_PATTERN, error="Must be 1 to 64 letters, digits, '.', '_' or '-'."),
    )


def _password(**kwargs) -> Password:
    return Password(
        validate=validate.Length(
            PASSWORD_MIN_LENGTH,
            PASSWORD_MAX_LENGTH,
            error=f"Must be {PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} characters.",
        ),
        **kwargs,
    )


def _role(**kwargs) -> fields.String:
    return fields.String(validate=validate.OneOf(ROLES, error="Must be one of: {choices}."), **kwargs)


class StrictBoolean(fields.Boolean):
    """JSON true or false, nothing that merely looks like one ("yes", 1)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class SignInIn(Schema):
    # Any text is a username worth checking here (a malformed one is simply unknown), but text that no
    # account can have is refused before the throttle and Argon2 see it.
    username = Username(required=True, validate=validate.Length(1, 256))
    password = Password(required=True, validate=validate.Length(1, PASSWORD_MAX_LENGTH))


class PasswordChangeIn(Schema):
    current_password = Password(required=True, validate=validate.Length(1, PASSWORD_MAX_LENGTH))
    new_password = _password(required=True)


class UserIn(Schema):
    username = _username()
    name = Text(required=True)
    role = _role(required=True)
    password = _password(required=True)


class UserPatchIn(Schema):
    name = Text()
    role = _role()
    password = _password()
    disabled = StrictBoolean()

    @validates_schema
    def changes_something(self, data, **kwargs):
        if not data:
            raise ValidationError("Send at least one of: name, role, password, disabled.", "_schema")


class CheckedAwareDateTime(fields.AwareDateTime):
    """An ISO 8601 time with an offset, refused whole if it holds a control character or a lone surrogate."""

    def _deserialize(self, value, attr, data, **kwargs):
        # Python 3.11's datetime.fromisoformat reads up to a NUL and ignores the rest.
        if isinstance(value, str):
            refuse_invalid_characters(value, "Must be an ISO 8601 time with an offset, without control characters.")
        return super()._deserialize(value, attr, data, **kwargs)


class TokenIn(Schema):
    label = Text(required=True)
    role = _role()
    expires_at = CheckedAwareDateTime(
        error_messages={"invalid_awareness": "Must be an ISO 8601 time with an offset."},
    )

    @validates("expires_at")
    def in_the_future(self, value, **kwargs):
        if not datetime.now(UTC) < value < LATEST_TIME:
            raise ValidationError("Must be in the future.")


TOKEN_PAGE_MAX = 100


class TokenPageQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    limit = fields.Integer(
        load_default=TOKEN_PAGE_MAX,
        validate=validate.Range(1, TOKEN_PAGE_MAX),
        metadata={"description": f"How many tokens at most, 1 to {TOKEN_PAGE_MAX}."},
    )
    after = fields.Integer(
        validate=validate.Range(1, ID_MAX),
        metadata={"description": "The id of the last token of the page before: this page starts after it."},
    )


sign_in_in = SignInIn()
password_change_in = PasswordChangeIn()
user_in = UserIn()
user_patch_in = UserPatchIn()
token_in = TokenIn()
token_page_query = TokenPageQuery()


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def account_out(row) -> dict:
    """An account as its holder sees it: a user's row, or who is asking (with the role it acts with)."""
    return {"id": row.id, "username": row.username, "name": row.name, "role": row.role}


def user_out(row) -> dict:
    return {**account_out(row), "disabled": row.disabled, "created_at": _iso(row.created_at)}


def token_out(row) -> dict:
    return {
        "id": row.id,
        "label": row.label,
        "role": row.role,
        "owner": {"username": row.owner_username, "name": row.owner_name},
        "created_at": _iso(row.created_at),
        "last_used_at": _iso(row.last_used_at),
        "expires_at": _iso(row.expires_at),
        "revoked_at": _iso(row.revoked_at),
    }
