# iwmo-hub service image. Build: docker build -t iwmo-hub .
# Run:  docker run -p 8000:8000 -e IWMO_DATABASE_URL=postgresql+psycopg://... \
#         -e IWMO_SECRET_KEY=<iwmo new-secret-key> iwmo-hub
# The container brings the database schema up to date (iwmo db upgrade) and finishes
# messages a stopped worker left (iwmo reprocess, at most two minutes; a message that keeps
# failing is set aside, and a failing reprocess never stops the service from starting).
# A missing or wrong IWMO_SECRET_KEY stops it at once, with one line on stderr.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /srv/iwmo

# Dependencies first, so code changes do not reinstall them.
COPY pyproject.toml README.md ./
RUN mkdir app && touch app/__init__.py \
    && pip install '.[postgres]' \
    && pip uninstall -y iwmo-hub \
    && rm -rf app

COPY app ./app
COPY schemas ./schemas
COPY migrations ./migrations
COPY regions ./regions
COPY alembic.ini ./
# Editable install keeps schemas/ next to the code, where the service looks for it.
RUN pip install --no-deps -e . \
    && useradd --system --home-dir /srv/iwmo --shell /usr/sbin/nologin iwmo \
    && mkdir -p /srv/iwmo/var && chown iwmo /srv/iwmo/var

USER iwmo
ENV IWMO_DATABASE_URL=sqlite:////srv/iwmo/var/iwmo.db
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)"
CMD ["sh", "-c", "iwmo db upgrade && { iwmo reprocess --max-seconds 120 || echo 'iwmo: reprocess failed; serving anyway' >&2; } && exec iwmo serve --host 0.0.0.0 --port 8000 --workers 2"]
