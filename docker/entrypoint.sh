#!/bin/sh
# One image, three roles: `web` (gunicorn), `worker` (Celery), `beat` (Celery beat);
# anything else runs as a manage.py command (e.g. `migrate`, `createsuperuser`).
set -eu
role="${1:-web}"
[ $# -gt 0 ] && shift
case "$role" in
  web)
    if [ "${MSSANTE_MIGRATE_ON_START:-0}" = "1" ]; then
      python manage.py migrate --noinput
    fi
    exec gunicorn mssante_web.wsgi:application --bind "0.0.0.0:${PORT:-8000}" \
      --workers "${WEB_CONCURRENCY:-3}" --timeout 60 --access-logfile - --forwarded-allow-ips '*' "$@"
    ;;
  worker)
    exec celery -A mssante_web worker -l "${CELERY_LOG_LEVEL:-INFO}" \
      --concurrency "${CELERY_CONCURRENCY:-4}" "$@"
    ;;
  beat)
    exec celery -A mssante_web beat -l "${CELERY_LOG_LEVEL:-INFO}" -s /tmp/celerybeat-schedule "$@"
    ;;
  *)
    exec python manage.py "$role" "$@"
    ;;
esac
