"""board as it was before shops, for perf/bench.py's comparison server only (it puts this folder on PYTHONPATH).

The service's connections are board_app in shop 1 for their whole life (startup options) and send
no settings with their statements; the operators' transactions (the schema check at start) still
send theirs. Row security stays on in the database. What the real service spends per cycle over
this one is what setting the shop with every transaction costs. Nothing in board loads this file.
"""

import sys

import psycopg

import board.db as db

_service_cursor = db.cursor_in_shop
_create_engine = db.create_engine


def cursor_in_shop(role, **settings):
    service_cursor = _service_cursor(role, **settings)

    class CursorInShopForLife(service_cursor):
        def execute(self, query, params=None, **kwargs):
            if db._as_operator.get():
                return super().execute(query, params, **kwargs)
            return psycopg.Cursor.execute(self, query, params, **kwargs)

    return CursorInShopForLife


def create_engine(url, **kwargs):
    options = kwargs.get("connect_args", {}).get("options")
    if options is not None:
        kwargs["connect_args"] = {**kwargs["connect_args"], "options": f"{options} -c board.shop_id=1"}
    return _create_engine(url, **kwargs)


db.cursor_in_shop = cursor_in_shop
db.create_engine = create_engine
print("board: shop held for each connection's life (perf/shop_held)", file=sys.stderr)
