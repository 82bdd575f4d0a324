# The live Slack connection, always on (`slack.live: external`): `incident-tool listen` in
# a container (docs/adopting.md#always-on-slacklive-external). The release workflow builds
# and publishes it to GHCR; run it pinned by digest:
#
#   docker run -d --restart unless-stopped --env-file /etc/incident-tool/env \
#     --read-only --tmpfs /tmp ghcr.io/OWNER/incident-tool@sha256:DIGEST --repo acme/web
#
# Nothing installed that nobody pinned, as in action.yml: uv and every dependency from
# requirements-uv.lock and requirements.lock by sha256, wheels only; the build tools from
# requirements-build.lock the same way; then incident-tool itself without dependencies.
#
# The base image is pinned by tag, not by digest: no registry is reachable where this file
# is written and tested, so no digest here could be checked, and a wrong one fails every
# build. The digest each release was built from is in its provenance attestation
# (build-push-action records the materials); pin `@sha256:` here once a registry can
# confirm it (Dependabot's docker ecosystem keeps such a pin current).

# --- The wheel, built with the locked build tools; they stay out of the image.
FROM python:3.12-slim AS build
ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore
WORKDIR /build
COPY requirements-build.lock pyproject.toml README.md ./
COPY incident_tool/ incident_tool/
COPY incident_sandbox/ incident_sandbox/
RUN python -m pip install --no-input --quiet \
      --no-deps --require-hashes --only-binary :all: -r requirements-build.lock \
 && python -m build --no-isolation --wheel --outdir dist .

# --- The image: Python, the locked dependencies, incident-tool; nothing else.
FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore
WORKDIR /install
COPY requirements-uv.lock requirements.lock ./
COPY --from=build /build/dist/ dist/
# Not --no-deps for the dependencies: in hash mode every dependency must then be in the
# lock too, so one that is missing fails the build, not the first run. uv goes after.
RUN python -m pip install --no-input --quiet \
      --no-deps --require-hashes --only-binary :all: -r requirements-uv.lock \
 && python -m uv pip install --quiet --python "$(python -c 'import sys; print(sys.executable)')" \
      --require-hashes --only-binary :all: -r requirements.lock \
 && python -m pip install --no-input --quiet --no-deps --no-index dist/incident_tool-*.whl \
 && python -m pip uninstall --yes --quiet uv \
 && rm -rf dist requirements-uv.lock requirements.lock

# An unprivileged user by number: no account to create, and Kubernetes' runAsNonRoot can
# check it. It owns nothing in the image; listen writes only to /tmp.
USER 10001:10001
WORKDIR /tmp

# The contract with `incident-tool listen`: it touches /tmp/incident-tool-live.health at
# least every 30 seconds while its Slack connection is up (and between reconnects). The
# container is unhealthy once that file is missing or older than 90 seconds.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import os, sys, time; p = '/tmp/incident-tool-live.health'; sys.exit(0 if os.path.exists(p) and time.time() - os.stat(p).st_mtime < 90 else 1)"]

# SIGTERM (docker stop, a rollout): listen finishes the interaction in hand and exits 0.
ENTRYPOINT ["incident-tool", "listen"]
