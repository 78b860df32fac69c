"""B1's floor: the cheapest submit this stack can serve, B1's baseline.

gunicorn serves `bench.floor_app:create()`: the production app with `/hello`
(`bench.hello_app`: every hook, header and middleware that /hello and /s/<token> go through)
plus one route, `POST /bench/floor/<token>`, that does only B1's database work: it parses
the same form body, looks the token up, and stores the response, its answers and its audit
row, then answers 303 like the survey. On PostgreSQL that is ONE statement (a
data-modifying CTE in autocommit mode: no BEGIN or COMMIT round trip); on SQLite, which has
no such CTE, the lookup and three INSERTs in one transaction under the write lock every
POST takes (`BEGIN IMMEDIATE`, survey_app.sqlite_settings). No validation, no CSRF check,
no case, no ORM, no WTForms. A benchmark instrument only: nothing in survey_app imports it.
"""

from flask import Flask, abort, redirect, request

from bench import hello_app
from survey_app import questions
from survey_app.extensions import csrf, db
from survey_app.timeutil import utcnow

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


# SQLite: the same work as statements of one transaction (qmark parameters).
_LOOKUP_SQLITE = _LOOKUP.replace("%s", "?")
_STORE_SQLITE = (
    "INSERT INTO response (dossier_id, school_id, channel, overall, comment, contact_consent,"
    " questions_version, submitted_at) VALUES (?, ?, 'qr', ?, ?, 0, ?, ?) RETURNING id",
    "INSERT INTO answer (response_id, question_code, value) VALUES (?, ?, ?)",
    "INSERT INTO audit (at, school_id, action, entity, entity_id)"
    " VALUES (?, ?, 'survey_answered', 'response', ?)",
)


def create() -> Flask:
    """The production app (configured from the environment, as wsgi.py), /hello and the route."""
    return register(hello_app.create())


def register(app: Flask) -> Flask:
    postgresql = app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")

    @app.post("/bench/floor/<token>")
    @csrf.exempt
    def floor(token: str):
        form = request.form
        codes = [code for code in _DETAILS if form.get(code)]
        values = [form[code] for code in codes]
        if postgresql:
            _store_postgresql(token, form, codes, values)
        else:
            _store_sqlite(token, form, codes, values)
        return redirect(f"/s/{token}/thanks", code=303)

    return app


def _found(row) -> None:
    if row is None or row[2] is not None:
        abort(404 if row is None else 409)


def _store_postgresql(token: str, form, codes: list[str], values: list[str]) -> None:
    dbapi = db.session.connection().connection.dbapi_connection
    dbapi.autocommit = True
    try:
        with dbapi.cursor() as cur:
            cur.execute(_LOOKUP, (token,))
            row = cur.fetchone()
            _found(row)
            cur.execute(
                _STORE,
                (
                    row[0],
                    row[1],
                    form["overall"],
                    form.get("comment") or None,
                    questions.VERSION,
                    codes,
                    values,
                    row[1],
                ),
            )
            cur.fetchone()
    finally:
        dbapi.autocommit = False


def _store_sqlite(token: str, form, codes: list[str], values: list[str]) -> None:
    conn = db.session.connection()  # a POST: BEGIN IMMEDIATE, the write lock
    row = conn.exec_driver_sql(_LOOKUP_SQLITE, (token,)).first()
    _found(row)
    now = utcnow().isoformat(" ")
    response_sql, answer_sql, audit_sql = _STORE_SQLITE
    params = (row[0], row[1], form["overall"], form.get("comment") or None, questions.VERSION, now)
    response_id = conn.exec_driver_sql(response_sql, params).scalar_one()
    if codes:
        conn.exec_driver_sql(
            answer_sql, [(response_id, c, v) for c, v in zip(codes, values, strict=True)]
        )
    conn.exec_driver_sql(audit_sql, (now, row[1], response_id))
    db.session.commit()
