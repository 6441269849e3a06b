# SIPAS portal image: one image for web (gunicorn), the Celery worker and beat (see docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STATIC_ROOT=/app/staticfiles \
    WEB_CONCURRENCY=3

# WeasyPrint's system libraries (Pango, its FreeType backend, HarfBuzz subsetting) and a font with Vietnamese
# glyphs. No GNU gettext: Babel (from requirements.txt) compiles the message catalogue.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first, so a code change does not reinstall them.
COPY requirements.txt constraints.txt ./
RUN pip install -r requirements.txt -c constraints.txt

COPY . .

# The catalogue's header is marked fuzzy, as in `make messages`; without --use-fuzzy pybabel skips it.
# collectstatic runs with DEBUG off (the manifest storage) and a throw-away key that only exists in this step.
# PYTHONDONTWRITEBYTECODE keeps processes from writing bytecode, so the project's is compiled here, once:
# otherwise every process (each manage.py command, each worker) compiles the project's modules from source.
RUN pybabel compile --use-fuzzy -d locale -D django \
    && SECRET_KEY=build-only-not-a-secret python manage.py collectstatic --noinput \
    && python -m compileall -q agencies reports sipas surveys manage.py

# Run as an unprivileged user; var/ (media, beat schedule) is the only place it writes.
RUN useradd --create-home --uid 10001 --user-group sipas \
    && mkdir -p /app/var/media \
    && chown -R sipas:sipas /app/var
USER sipas

EXPOSE 8000
# gunicorn takes its worker count from WEB_CONCURRENCY (default 3 above).
CMD ["sh", "-c", "exec gunicorn sipas.wsgi --bind 0.0.0.0:8000 --workers \"${WEB_CONCURRENCY:-3}\" --access-logfile -"]
