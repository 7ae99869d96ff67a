# The Frontline gateway image: every component is one `frontline` sub-command.
# The broker runs from the apache/kafka image in docker-compose.yml, not from this one.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    FRONTLINE_LOG_FORMAT=json \
    FRONTLINE_DATA_DIR=/var/lib/frontline

WORKDIR /src
COPY pyproject.toml README.md ./
COPY gateway ./gateway
COPY connectors ./connectors
COPY schemas ./schemas
COPY deploy ./deploy
RUN pip install . && useradd --system --home /var/lib/frontline frontline \
    && mkdir -p /var/lib/frontline /reports && chown frontline /var/lib/frontline /reports

USER frontline
WORKDIR /var/lib/frontline
ENTRYPOINT ["frontline"]
CMD ["--help"]
