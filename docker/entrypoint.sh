#!/bin/sh
# One image, five roles: `web` (gunicorn), `worker` (Celery), `beat` (Celery beat),
# `watch` (the new-mail watcher: IMAP IDLE for signed-in users, one process for many),
# `push` (the open pages' event streams, ASGI: a coroutine per page; the proxy routes
# /bal/<n>/evenements/ to it and MSSANTE_PUSH=1 tells the pages to listen);
# anything else runs as a manage.py command (e.g. `migrate`, `whitelist_import`).
# Every role refuses to start on development-only settings when DEBUG is off
# (apps/core/checks.py, run by migrate, by gunicorn's import of the site and by Celery).
set -eu
role="${1:-web}"
[ $# -gt 0 ] && shift
case "$role" in
  web)
    if [ "${MSSANTE_MIGRATE_ON_START:-0}" = "1" ]; then
      python manage.py migrate --noinput
      # First start: the superuser from DJANGO_SUPERUSER_* and the whitelist when none is
      # loaded (a failure is logged; the site starts and tells staff the list is missing).
      python manage.py superuser_ensure
      python manage.py whitelist_import --if-empty
      # …and the directory, by a worker (a national extraction takes minutes; /readyz says
      # "directory-empty" until it is in).
      python manage.py annuaire_import --if-empty-in-background || true
    fi
    # X-Forwarded-* believed only from the TLS proxy's addresses.
    exec gunicorn mssante_web.wsgi:application --bind "0.0.0.0:${PORT:-8000}" \
      --workers "${WEB_CONCURRENCY:-3}" --timeout 60 --access-logfile - \
      --forwarded-allow-ips "${MSSANTE_TRUSTED_PROXIES:-127.0.0.1}" "$@"
    ;;
  worker)
    exec celery -A mssante_web worker -l "${CELERY_LOG_LEVEL:-INFO}" \
      --concurrency "${CELERY_CONCURRENCY:-4}" "$@"
    ;;
  beat)
    exec celery -A mssante_web beat -l "${CELERY_LOG_LEVEL:-INFO}" -s /tmp/celerybeat-schedule "$@"
    ;;
  watch)
    exec python manage.py mail_watch "$@"
    ;;
  push)
    exec uvicorn mssante_web.asgi:application --host 0.0.0.0 --port "${PORT:-8001}" \
      --no-access-log --proxy-headers --forwarded-allow-ips "${MSSANTE_TRUSTED_PROXIES:-127.0.0.1}" "$@"
    ;;
  *)
    exec python manage.py "$role" "$@"
    ;;
esac
