# Border targeting service. Build: docker build -t targeting .   Run: docker compose up
# Stage 1 builds wheels (durable-rules compiles a C extension); stage 2 has no compiler.
FROM python:3.11-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends gcc g++ \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY requirements/runtime.lock requirements/runtime.lock
# Every dependency at its locked version and hash, then the project itself.
RUN pip wheel --no-cache-dir --require-hashes --wheel-dir /wheels -r requirements/runtime.lock
COPY pyproject.toml README.md LICENSE ./
COPY engine engine
COPY screening screening
COPY messages messages
COPY api api
COPY targeting targeting
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOST=0.0.0.0 \
    PORT=8080 \
    INSTANCE_PATH=/app/instance
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index /wheels/*.whl && rm -rf /wheels \
    && useradd --system --uid 10001 --home-dir /app targeting
WORKDIR /app
COPY rules rules
COPY seeds seeds
RUN mkdir -p /app/instance && chown targeting /app/instance
# Identity and console keys, the SQLite default and the decision spool (decisions answered while
# the store was down) live here: keep it on a volume so a replaced container loses none of them.
VOLUME /app/instance
USER targeting
EXPOSE 8080
# Follows PORT, so a container run on another port is still checked where it listens.
HEALTHCHECK --interval=10s --timeout=3s \
  CMD python -c "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('PORT', '8080')}/healthz\", timeout=2)"
# Migrates the database, then runs gunicorn with WORKERS processes.
CMD ["targeting", "serve"]
