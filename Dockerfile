# syntax=docker/dockerfile:1
#
# Incident Commander: batch image for a Cloud Run Job.
# Build:  docker build -t incident-commander .
# Run:    docker run --rm -e OPENROUTER_API_KEY incident-commander
#
# The project is not an installable package ([tool.uv] package = false) and
# uv.lock is not in git: dependencies are resolved from pyproject.toml, whose
# exact pins plus [tool.uv] exclude-newer make the resolution reproducible.

# Python 3.11 on Debian bookworm, pinned by tag and by the multi-arch index digest.
# To refresh: pull the tag and take its digest (docker buildx imagetools inspect).
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm@sha256:65a93d69fa75478d554f4ad27c85c1e69fa184956261b4301ebaf6dbb0a3543d

FROM ghcr.io/astral-sh/uv:0.13.9 AS uv

# ---------------------------------------------------------------- builder ---
FROM ${PYTHON_IMAGE} AS builder

COPY --from=uv /uv /uvx /bin/

ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_DEV=1 \
    UV_PYTHON_DOWNLOADS=0 \
    UV_PROJECT_ENVIRONMENT=/app/.venv

WORKDIR /app

# Dependencies only (the project itself is not a package, so there is nothing
# else to install). The cache mount keeps downloaded wheels between builds.
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=pyproject.toml,target=/app/pyproject.toml \
    uv sync --no-dev --no-install-project

# ---------------------------------------------------------------- runtime ---
FROM ${PYTHON_IMAGE} AS runtime

ENV PATH="/app/.venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/tmp

WORKDIR /app

# The virtual environment (same path as in the builder: its scripts use absolute
# shebangs) and the application source (filtered by .dockerignore).
COPY --from=builder /app/.venv /app/.venv
COPY . /app

# Reports are written to rca_reports/ in the working directory: the only place
# the non-root user may write to besides /tmp.
RUN install -d -m 0755 -o 10001 -g 10001 /app/rca_reports

USER 10001:10001

ENTRYPOINT ["python", "main.py"]
