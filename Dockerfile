# Build: a release binary with bundled SQLite and libpq (OpenSSL from the system).
FROM rust:1.95-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends pkg-config libssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Cargo.toml Cargo.lock diesel.toml openapi.yaml ./
COPY src ./src
COPY migrations ./migrations
RUN cargo build --release --locked --bin crowdfund

# Run: a slim image with the binary only, as an unprivileged user.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libssl3 curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app crowdfund \
 && mkdir -p /app/data && chown crowdfund /app/data
COPY --from=build /src/target/release/crowdfund /usr/local/bin/crowdfund
USER crowdfund
WORKDIR /app
ENV BIND_ADDR=0.0.0.0:8080
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s CMD curl -fsS http://127.0.0.1:8080/readyz || exit 1
ENTRYPOINT ["crowdfund"]
CMD ["serve"]
