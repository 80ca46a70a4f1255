"""Public, read-only pages (no login): each region's published catalog, as HTML and as JSON."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, render_template
from flask_babel import get_locale

from app.domain.enums import FastTrack, ItemType, Stage
from app.domain.errors import NotFound
from app.services.catalog import public_record, published_catalog

bp = Blueprint("public", __name__, url_prefix="/public")


def _published(code: str) -> Any:
    try:
        return published_catalog(code)
    except NotFound:
        abort(404)


@bp.route("/catalog/<code>.json")
def catalog_json(code: str) -> Any:
    _region, items = _published(code)
    response = jsonify([public_record(item) for item in items])
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.route("/catalog/<code>")
def catalog_page(code: str) -> Any:
    region, items = _published(code)
    return render_template(
        "public/catalog.html",
        html_lang="en" if str(get_locale()) == "en" else "zh-CN",
        region=region,
        items=items,
        Stage=Stage,
        ItemType=ItemType,
        FastTrack=FastTrack,
    )
