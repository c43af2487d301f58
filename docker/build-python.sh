#!/bin/sh
# The image's Python build, as one script so CI runs exactly the Dockerfile's steps
# (tests/integration/test_container_build.py) and they cannot rot unnoticed.
#   VENV: where the virtualenv goes (the image: /opt/venv)
#   APP:  the source tree (the image: /app)
set -eu
: "${VENV:?}" "${APP:?}"
python3 -m venv "$VENV"
"$VENV/bin/pip" install --no-cache-dir --disable-pip-version-check -q -r "$APP/requirements.txt"
cd "$APP"
# Translations and static files are compiled at build time, with throwaway settings.
DJANGO_DEBUG=1 "$VENV/bin/python" manage.py compilemessages -v 0 --ignore='.venv' --ignore='venv'
DJANGO_DEBUG=0 MSSANTE_PLAIN_STATIC=0 DJANGO_SECRET_KEY=build-only DJANGO_STATIC_ROOT="$APP/static_collected" \
  "$VENV/bin/python" manage.py collectstatic --noinput -v 0
