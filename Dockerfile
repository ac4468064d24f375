# One image for every process (web, websocket, worker, beat): compose.yaml picks the command. Same requirements
# files as `make` and Render, so a container runs what CI tested.
# bookworm: its postgresql-client (15) must be at least the server's major version for `manage.py backup`.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ENV_FILE=""

# pg_dump and pg_restore, for `manage.py backup` and `manage.py restore_drill`
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 pamoja \
    && useradd --system --uid 10001 --gid pamoja --home-dir /app --shell /usr/sbin/nologin pamoja

WORKDIR /app
COPY requirements/ requirements/
RUN pip install -r requirements/prod.txt

COPY --chown=pamoja:pamoja . .

# Static files are collected at build time (whitenoise's manifest needs DEBUG off); these values exist only for
# this step, the real ones come from the environment at run time.
RUN DEBUG=false PROVIDERS_SANDBOX=true SECRET_KEY=collectstatic-only FIELD_HASH_KEY=collectstatic-only \
    FIELD_ENCRYPTION_KEYS=Y29sbGVjdHN0YXRpYy1vbmx5LW5vdC1hLWtleS0zMmI= \
    python manage.py collectstatic --noinput \
    && mkdir -p media backups .run \
    && chown -R pamoja:pamoja staticfiles media backups .run

USER pamoja:pamoja

EXPOSE 8000 8001
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "2", "--timeout", "30"]
