"""The order of roles: each may do all that the ones before it may."""

from board.models import ROLES

_RANK = {role: rank for rank, role in enumerate(ROLES)}


def at_least(role: str, needed: str) -> bool:
    return _RANK[role] >= _RANK[needed]


def weaker_role(first: str, second: str) -> str:
    return first if _RANK[first] <= _RANK[second] else second
