"""The benchmarks' server: the production app plus `GET /hello`, the baseline they compare with.

gunicorn serves `bench.hello_app:create()` with the repository's gunicorn.conf.py. `/hello`
answers a constant text through the whole app (its hooks, headers and middleware), so a
ratio to it measures what a page costs beyond Flask and gunicorn. A benchmark instrument
only: nothing in survey_app imports it.
"""

from flask import Flask, Response

from survey_app import create_app

HELLO = "Hello, world!\n"


def create() -> Flask:
    """The production app (configured from the environment, as wsgi.py) with `/hello`."""
    return register(create_app())


def register(app: Flask) -> Flask:
    @app.get("/hello")
    def hello():
        return Response(HELLO, mimetype="text/plain")

    return app
