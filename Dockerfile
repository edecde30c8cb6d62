# mockserver for demo environments: state in the /data volume, survives restarts.
#   docker build -t mockserver .
#   docker run -p 8000:8000 -v mockserver-data:/data mockserver
#   docker run -p 8000:8000 -v mockserver-data:/data mockserver serve --host 0.0.0.0 --isolation token
# Not built here: this project's machines have no Docker engine (docs/deployment.md).
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md openapi.yaml control-plane.yaml schemathesis.toml ./
COPY fixtures ./fixtures
COPY mockserver ./mockserver
RUN pip install . \
    && useradd --create-home --uid 10001 mockserver \
    && mkdir /data && chown mockserver /data

USER mockserver
WORKDIR /data
VOLUME /data
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/', timeout=2)"]
ENTRYPOINT ["mockserver"]
# 0.0.0.0 inside the container only; publish the port to choose who reaches it.
CMD ["serve", "--host", "0.0.0.0", "--port", "8000", "--db", "/data/db.json"]
