# syntax=docker/dockerfile:1
# Build: docker build -t talkbot .
# Run:   docker run --rm -p 8080:8080 -v talkbot-data:/data \
#          -e TALKBOT_SLACK_BOT_TOKEN -e TALKBOT_SLACK_SIGNING_SECRET talkbot
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/talkbot ./cmd/talkbot \
 && mkdir -p /out/data

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/
COPY --from=build /out/talkbot /talkbot
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV TALKBOT_HTTP_ADDR=0.0.0.0:8080 TALKBOT_STORE_PATH=/data/talkbot.db TALKBOT_LOG_FORMAT=json
VOLUME /data
EXPOSE 8080
ENTRYPOINT ["/talkbot"]
CMD ["serve"]
