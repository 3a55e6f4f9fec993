"""One transaction per request: committed when the response succeeds, rolled back otherwise.

Domain functions only flush. A view that fails (an exception, a 4xx for bad input, a 5xx) leaves
nothing behind, and a failing commit turns into a 500 whose own pass through here rolls back.
"""

from __future__ import annotations

from flask import Flask, Response

from sandbox.extensions import db


def init_app(app: Flask) -> None:
    @app.after_request
    def commit_or_roll_back(response: Response) -> Response:
        if response.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
        return response

    @app.teardown_request
    def roll_back_unfinished(_error: BaseException | None) -> None:
        # Runs after after_request; anything still open here was never committed.
        db.session.rollback()
