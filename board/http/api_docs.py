"""The OpenAPI document's own routes: /api/openapi.json, and /api/docs, the document for people (Swagger UI)."""

from pathlib import Path

import flask_swagger_ui
from flask import Blueprint, Response, jsonify, send_from_directory

from board.accounts.permissions import public
from board.http import headers
from board.http.documented import Answer, documented
from board.http.openapi import document

bp = Blueprint("openapi", __name__)
# The board page's own strict policy holds here too: Swagger UI needs nothing inline.
bp.after_request(headers.add_page_headers)

# Swagger UI's files, served from the package that ships them (flask-swagger-ui), not copied.
SWAGGER_UI_DIR = Path(flask_swagger_ui.__file__).resolve().parent / "dist"
SWAGGER_UI_FILES = ("swagger-ui-bundle.js", "swagger-ui.css")


DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>board API</title>
  <link rel="stylesheet" href="/assets/swagger-ui/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui" data-url="/api/openapi.json"></div>
  <script src="/assets/swagger-ui/swagger-ui-bundle.js"></script>
  <script src="/assets/api-docs.js"></script>
</body>
</html>
"""


# Public: the document holds no data and no secret, only what the README says too, and scripts
# and tools (code generators, Schemathesis) must be able to read it before they have a token.
@bp.get("/api/openapi.json")
@documented(
    "get_openapi",
    "This document",
    {200: Answer("The OpenAPI document.", enveloped=False)},
    tag="service",
    touches_database=False,
)
@public
def document_json() -> Response:
    return jsonify(document())


@bp.get("/api/docs")
@documented(
    "get_docs",
    "This document, for people",
    {200: Answer("A page.", media_type="text/html")},
    tag="service",
    touches_database=False,
)
@public
def docs() -> Response:
    return Response(DOCS_PAGE, mimetype="text/html")


@bp.get("/assets/swagger-ui/<any(%s):filename>" % ", ".join(f'"{name}"' for name in SWAGGER_UI_FILES))
def swagger_ui(filename: str) -> Response:
    return send_from_directory(SWAGGER_UI_DIR, filename)
