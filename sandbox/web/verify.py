"""The public verification page: anyone, without signing in, checks whether a letter is authentic and current.

By number (typed, or from the URL printed on every letter) the page says whether the register holds that letter,
whether it is current or superseded, and the content hash printed on it, to compare. By file, the upload's SHA-256
must equal the issued PDF's: one changed byte makes it "unknown". Nothing else about the case is shown.
Rate limited per address, as signing in is.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from sandbox.core.permissions import public
from sandbox.decisions.letter_register import Verification, verify_file, verify_number
from sandbox.extensions import db, limiter

bp = Blueprint("verify", __name__, url_prefix="/verify")
PER_MINUTE, PER_HOUR = 30, 300
VERIFY_LIMIT = f"{PER_MINUTE} per minute;{PER_HOUR} per hour"
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_NUMBER_LENGTH = 40


@bp.get("/")
@public
@limiter.limit(VERIFY_LIMIT)
def index() -> ResponseReturnValue:
    number = request.args.get("number", "").strip()[:MAX_NUMBER_LENGTH]
    if not number:
        return render_template("public/verify.html", result=None, number="", error=None)
    return _answer(verify_number(db.session, number), number=number)


@bp.get("/<string:number>")
@public
@limiter.limit(VERIFY_LIMIT)
def by_number(number: str) -> ResponseReturnValue:
    """The URL printed on a letter: its number with dashes (SBX-L-2026-000123)."""
    return _answer(verify_number(db.session, number[:MAX_NUMBER_LENGTH]), number=number[:MAX_NUMBER_LENGTH])


@bp.post("/")
@public
@limiter.limit(VERIFY_LIMIT)
def upload() -> ResponseReturnValue:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return render_template("public/verify.html", result=None, number="",
                               error=_("Select the letter's PDF file")), 422
    content = upload.stream.read(MAX_UPLOAD_BYTES + 1)
    if len(content) > MAX_UPLOAD_BYTES:
        return render_template("public/verify.html", result=None, number="",
                               error=_("The file must be smaller than 20MB")), 413
    return _answer(verify_file(db.session, content), by_file=True)


def _answer(result: Verification, *, number: str = "", by_file: bool = False) -> str:
    return render_template("public/verify.html", result=result, number=number, by_file=by_file, error=None)
