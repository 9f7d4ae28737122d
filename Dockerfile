# ecg-anomaly serve: a saved detector behind HTTP. Build: docker build -t ecg-anomaly .
# Run:   docker run -p 8080:8080 -v $PWD/target/quickstart-detector:/detector:ro ecg-anomaly
# (Not built on this project's CI machine, which has no Docker; .github/workflows/ci.yml builds it.)

FROM rust:1.95-slim-bookworm AS builder
WORKDIR /src
COPY . .
# The CPU backend (flex), the command line and the server; no GPU stack in the image.
RUN cargo build --release --locked --no-default-features --features flex,cli,server --bin ecg-anomaly

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home ecg
COPY --from=builder /src/target/release/ecg-anomaly /usr/local/bin/ecg-anomaly
USER ecg
EXPOSE 8080
# Ready only once the detector is loaded and warmed up.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8080/health/ready || exit 1
# Mount a detector folder (written by `ecg-anomaly train` or the quickstart) at /detector.
ENTRYPOINT ["ecg-anomaly", "serve", "--detector", "/detector", "--addr", "0.0.0.0:8080"]
