# syntax=docker/dockerfile:1
#
# Incident Commander: batch image for a Cloud Run Job.
# Build:  docker build -t incident-commander .
# Run:    docker run --rm -e OPENROUTER_API_KEY incident-commander
#
# The image runs main.py from /app (the project is installable for people, but the
# image needs only its dependencies) and uv.lock is not in git: dependencies are
# resolved from pyproject.toml, whose exact pins plus [tool.uv] exclude-newer make
# the resolution reproducible.

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

# Dependencies only: the source is copied below and run in place. The cache mount
# keeps downloaded wheels between builds.
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=pyproject.toml,target=/app/pyproject.toml \
    uv sync --no-dev --no-install-project

# The WindowTrigger's compiled scan: the image runs the source in place without installing the
# project, so the extension pyproject.toml declares is compiled here, with the same flags (FMA
# contraction off: its results equal the numpy path's to the bit). Only the .so leaves this stage.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/*
COPY detection/_window.c /app/detection/_window.c
RUN gcc -O3 -ffp-contract=off -shared -fPIC \
        -I"$(python -c 'import sysconfig; print(sysconfig.get_path("include"))')" \
        -o "detection/_window$(python -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')" \
        detection/_window.c

# ---------------------------------------------------------------- runtime ---
FROM ${PYTHON_IMAGE} AS runtime

ENV PATH="/app/.venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/tmp

WORKDIR /app

# git: live sources may read the diff of a deployed commit with `git show` from a mounted
# clone ([[services]] repo). Not pinned to a version: Debian replaces it on security updates,
# and the base image above is pinned by digest. tini: an init as PID 1, which forwards SIGTERM
# to Python (a PID 1 without a handler ignores it) and reaps `git` children.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends git tini \
    && rm -rf /var/lib/apt/lists/*

# The virtual environment (same path as in the builder: its scripts use absolute
# shebangs) and the application source (filtered by .dockerignore).
COPY --from=builder /app/.venv /app/.venv
COPY . /app
COPY --from=builder /app/detection/_window.*.so /app/detection/

# Reports are written to rca_reports/ in the working directory: the only place
# the non-root user may write to besides /tmp.
RUN install -d -m 0755 -o 10001 -g 10001 /app/rca_reports

USER 10001:10001

ENTRYPOINT ["tini", "--", "python", "main.py"]
