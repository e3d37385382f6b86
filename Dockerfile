# Adoption Atlas: the `atlas-bot` command in a small Python image.
#
#   docker build -t adoption-atlas .
#   docker run --init --env-file .env -p 3000:3000 adoption-atlas   # HTTP mode: serve --http --port 3000
#   docker run --init --env-file .env adoption-atlas serve           # Socket Mode when SLACK_APP_TOKEN is set
#   docker run --init --env-file .env adoption-atlas db upgrade
#
# Without DATABASE_URL the app uses SQLite in /app/data; mount a volume there to keep it.

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system --gid 10001 atlas \
    && useradd --system --uid 10001 --gid atlas --home-dir /app --no-create-home atlas

WORKDIR /app

# The migrations are read from alembic/ next to the `bot` package (bot/storage/migrations.py
# looks two levels above itself), so the project is installed in place (-e) rather than copied
# into site-packages.
COPY . /app
RUN pip install --no-cache-dir -e /app \
    && mkdir -p /app/data \
    && chown atlas:atlas /app/data

USER atlas

EXPOSE 3000

ENTRYPOINT ["atlas-bot"]
CMD ["serve", "--http", "--port", "3000"]
