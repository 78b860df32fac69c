"""B1's floor: the cheapest submit this stack can serve, to judge B1's threshold by.

gunicorn serves `bench.floor_app:create()`: the production app with `/hello`
(`bench.hello_app`: every hook, header and middleware that /hello and /s/<token> go through)
plus one route, `POST /bench/floor/<token>`, that does
only B1's database work, on PostgreSQL: it parses the same form body, looks the token up,
and stores the response, its answers and its audit row in ONE statement (a data-modifying
CTE in autocommit mode: no BEGIN or COMMIT round trip), then answers 303 like the survey.
No validation, no CSRF check, no case, no ORM, no WTForms. A benchmark instrument only:
nothing in survey_app imports it, and it refuses to start on anything but PostgreSQL.
"""

from flask import Flask, abort, redirect, request

from bench import hello_app
from survey_app import questions
from survey_app.extensions import csrf, db

_DETAILS = tuple(q.code for q in questions.DETAILS)
_LOOKUP = (
    "SELECT d.id, d.school_id, r.id FROM dossier d"
    " LEFT JOIN response r ON r.dossier_id = d.id WHERE d.token = %s"
)
_STORE = (
    "WITH r AS (INSERT INTO response (dossier_id, school_id, channel, overall, comment,"
    " contact_consent, questions_version, submitted_at)"
    " VALUES (%s, %s, 'qr', %s, %s, false, %s, now() AT TIME ZONE 'UTC') RETURNING id),"
    " a AS (INSERT INTO answer (response_id, question_code, value)"
    " SELECT r.id, u.code, u.value FROM r, unnest(%s::varchar[], %s::varchar[]) u(code, value)),"
    " au AS (INSERT INTO audit (at, school_id, action, entity, entity_id)"
    " SELECT now() AT TIME ZONE 'UTC', %s, 'survey_answered', 'response', r.id FROM r)"
    " SELECT id FROM r"
)


def create() -> Flask:
    """The production app (configured from the environment, as wsgi.py), /hello and the route."""
    return register(hello_app.create())


def register(app: Flask) -> Flask:
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        raise RuntimeError("bench.floor_app runs on PostgreSQL only")

    @app.post("/bench/floor/<token>")
    @csrf.exempt
    def floor(token: str):
        form = request.form
        dbapi = db.session.connection().connection.dbapi_connection
        dbapi.autocommit = True
        try:
            with dbapi.cursor() as cur:
                cur.execute(_LOOKUP, (token,))
                row = cur.fetchone()
                if row is None or row[2] is not None:
                    abort(404 if row is None else 409)
                codes = [code for code in _DETAILS if form.get(code)]
                cur.execute(
                    _STORE,
                    (
                        row[0],
                        row[1],
                        form["overall"],
                        form.get("comment") or None,
                        questions.VERSION,
                        codes,
                        [form[code] for code in codes],
                        row[1],
                    ),
                )
                cur.fetchone()
        finally:
            dbapi.autocommit = False
        return redirect(f"/s/{token}/thanks", code=303)

    return app
