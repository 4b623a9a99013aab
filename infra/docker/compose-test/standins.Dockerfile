# Test-only stand-ins for the upstream images docker-compose.yml uses
# (postgres, redis, prom/prometheus, jaegertracing/jaeger), built from Debian
# packages on the local base image (infra/docker/base-image.sh) for machines
# that reach the Debian and npm registries but no container registry. Used by
# infra/docker/test-compose.sh through compose.podman-test.yml; never
# deployed. Build one with --target postgres|redis|prometheus|otlp-receiver.
FROM node:22-slim AS debian
ENV DEBIAN_FRONTEND=noninteractive

# PostgreSQL 15 (Debian 12), with the POSTGRES_DB / POSTGRES_USER /
# POSTGRES_PASSWORD contract of the official image (first start initialises).
FROM debian AS postgres
RUN mkdir -p /etc/postgresql-common \
 && echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.conf \
 && apt-get update -qq && apt-get install -y -qq --no-install-recommends postgresql-15 > /dev/null \
 && rm -rf /var/lib/apt/lists/*
ENV PATH=/usr/lib/postgresql/15/bin:$PATH
COPY postgres-entrypoint.sh /usr/local/bin/postgres-entrypoint.sh
ENTRYPOINT ["/usr/local/bin/postgres-entrypoint.sh"]
STOPSIGNAL SIGINT

# Redis 7 (Debian 12); protected mode off as in the official image (the
# network is the stack's own).
FROM debian AS redis
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends redis-server > /dev/null \
 && rm -rf /var/lib/apt/lists/* && mkdir -p /data
WORKDIR /data
ENTRYPOINT ["/bin/sh", "-c", "exec \"$@\" --protected-mode no", "redis"]
CMD ["redis-server"]

# Prometheus 2.42 (Debian 12) + wget for the compose healthcheck.
FROM debian AS prometheus
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends prometheus wget > /dev/null \
 && rm -rf /var/lib/apt/lists/* && mkdir -p /prometheus
ENTRYPOINT ["/usr/bin/prometheus"]

# In place of Jaeger: the OTLP/HTTP (JSON) receiver of @fedmcp/testing on
# :4318, its received spans as JSON on :16686 (the compose file mounts the
# built receiver module at /receiver/otlp-receiver.js).
FROM debian AS otlp-receiver
COPY otlp-receiver.js /usr/local/lib/otlp-receiver-main.js
USER node
CMD ["node", "/usr/local/lib/otlp-receiver-main.js"]
