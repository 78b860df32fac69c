#!/bin/sh
# Start Hài Lòng in production without systemd (a container, or by hand):
# the locked migration step, then gunicorn replaces this shell (signals reach it directly).
#   deploy/entrypoint.sh [extra gunicorn options]
set -eu
cd "$(dirname "$0")/.."

# APP_ENV comes from the caller, never from .env: production unless the caller says
# otherwise (and gunicorn.conf.py then refuses anything but production, outside tests).
CALLER_APP_ENV=${APP_ENV:-production}
CALLER_NON_PRODUCTION=${HL_NON_PRODUCTION_SERVER:-}
if [ -f .env ]; then  # the same settings file systemd's EnvironmentFile reads
  set -a
  . ./.env
  set +a
fi
if [ "${APP_ENV:-}" != "$CALLER_APP_ENV" ]; then
  echo "entrypoint: ignoring APP_ENV=${APP_ENV:-} from .env; APP_ENV=$CALLER_APP_ENV" >&2
fi
APP_ENV=$CALLER_APP_ENV
HL_NON_PRODUCTION_SERVER=$CALLER_NON_PRODUCTION
export APP_ENV HL_NON_PRODUCTION_SERVER

# Loopback unless told otherwise: gunicorn is never exposed without the reverse proxy
# (a client reaching it directly could hold sync workers with slow bodies). A container
# whose proxy runs in another container sets GUNICORN_BIND and TRUSTED_PROXIES to match.
: "${GUNICORN_BIND:=127.0.0.1:8000}"
export GUNICORN_BIND

BIN=${VENV:-.venv}/bin
if [ ! -x "$BIN/python" ]; then
  echo "entrypoint: no virtualenv at $BIN (run make install)" >&2
  exit 1
fi
# Compiled translations are build output (not in git): make them if missing.
if ! ls survey_app/translations/*/LC_MESSAGES/messages.mo >/dev/null 2>&1; then
  "$BIN/pybabel" compile -q -d survey_app/translations
fi

"$BIN/python" -m survey_app.migrate_once
exec "$BIN/gunicorn" -c gunicorn.conf.py "$@" wsgi:app
