# Trygghetsfonden: one image for the web app (gunicorn), the worker and the migrate step.
#   docker build -t trygghetsfonden .
#   docker run --rm -e TF_DATABASE_URL=... -e TF_SECRET_KEY=... -p 8000:8000 trygghetsfonden
# compose.yaml runs the whole set (PostgreSQL, MinIO, migrate, two web containers, a worker).
# The process map's viewer (bpmn-js) from the npm lock, copied into the app's static files.
FROM node:20-slim AS bpmn
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    FLASK_APP=app \
    TF_UPLOAD_DIR=/data/uploads \
    TF_LOG_FORMAT=json \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus

# WeasyPrint's libraries (HarfBuzz subsetting, Pango), upload type sniffing (libmagic) and the
# letters' font. No compilers: every Python package of the lock ships a wheel.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 libmagic1 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# The lock first (a layer that changes only with the dependencies), every package by hash.
COPY requirements/main.txt requirements/main.txt
RUN python -m pip install --require-hashes -r requirements/main.txt && python -m pip check

COPY alembic.ini gunicorn.conf.py setup.cfg pyproject.toml README.md ./
COPY app app
COPY --from=bpmn /build/node_modules/bpmn-js/dist/bpmn-navigated-viewer.production.min.js \
     /build/node_modules/bpmn-js/dist/assets/diagram-js.css \
     /build/node_modules/bpmn-js/dist/assets/bpmn-js.css app/web/static/vendor/bpmn-js/
COPY migrations migrations
COPY processes processes
COPY forms forms

RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin tf \
    && mkdir -p /data/uploads /tmp/prometheus /app/instance \
    && chown tf:tf /data/uploads /tmp/prometheus /app/instance
USER tf

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
# The web app. The worker runs the same image: `flask engine worker`; migrations: `flask db upgrade`.
CMD ["gunicorn", "--config", "gunicorn.conf.py", "app:create_app()"]
