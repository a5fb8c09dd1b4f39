# Easy Ecom service image: `easy-ecom api` by default, `easy-ecom console` for the owner console; run `easy-ecom migrate` once per release
# (docker-compose.yml does it in a one-shot service). Configure with the README's environment variables.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    EASY_ECOM_ENV=production \
    API_HOST=0.0.0.0 \
    API_PORT=8000 \
    CONSOLE_HOST=0.0.0.0 \
    CONSOLE_PORT=8001 \
    DATA_DIR=/data

WORKDIR /app
COPY . .
# Editable install: migrations/ and alembic.ini are read from /app at run time.
RUN pip install -c requirements/lock.txt -e . \
    && useradd --system --uid 10001 --home-dir /app easyecom \
    && mkdir -p /data /app/chat_ui/.files /app/chat_ui/.chainlit/translations \
    && chown easyecom /data /app/chat_ui/.files /app/chat_ui/.chainlit/translations

USER easyecom
EXPOSE 8000 8001
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=3)"]
CMD ["easy-ecom", "api"]
