# syntax=docker/dockerfile:1
# mssante-web: one image for web, worker and beat (see docker/entrypoint.sh).

# ---- build: dependencies, compiled translations, collected static files
FROM python:3.11.14-slim-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends gettext \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt /app/requirements.txt
COPY . /app
RUN VENV=/opt/venv APP=/app sh /app/docker/build-python.sh \
 && rm -rf /app/devstack /app/tests /app/bench /app/.ci

# ---- runtime: no compiler, no gettext, not root
FROM python:3.11.14-slim-bookworm AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_SETTINGS_MODULE=mssante_web.settings \
    DJANGO_STATIC_ROOT=/app/static_collected
# Ghostscript turns the PDFs professionals attach to health documents into PDF/A-1 (ECO.2.1.1).
RUN apt-get update \
 && apt-get install -y --no-install-recommends ghostscript \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 mssante \
 && useradd --system --uid 10001 --gid mssante --home-dir /app --shell /usr/sbin/nologin mssante
COPY --from=build /opt/venv /opt/venv
COPY --from=build --chown=root:root /app /app
WORKDIR /app
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os, sys, urllib.request as u; host = os.environ.get('DJANGO_ALLOWED_HOSTS', 'localhost').split(',')[0].strip().lstrip('.').replace('*', 'localhost') or 'localhost'; sys.exit(u.urlopen(u.Request('http://127.0.0.1:' + os.environ.get('PORT', '8000') + '/healthz', headers={'Host': host}), timeout=4).status != 200)"]
ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["web"]
