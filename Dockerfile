# Serves the moderation API with gunicorn; the default model is trained from the project's own
# corpus while the image builds, so the container answers as soon as it starts.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PORT=8000
WORKDIR /app

# Dependencies first: this layer is reused until pyproject.toml changes.
COPY pyproject.toml README.md ./
RUN mkdir -p service training \
    && touch service/__init__.py training/__init__.py \
    && pip install '.[train,postgres]' \
    && pip uninstall -y arabic-comment-moderation

COPY service ./service
COPY training ./training
COPY gunicorn.conf.py ./
# The source runs from /app (not installed), so models/ and instance/ sit beside it.
ENV PYTHONPATH=/app
RUN python -m training.train --out /app/models --no-progress

RUN useradd --system --uid 10001 --home /app moderation \
    && mkdir -p /app/instance && chown -R moderation /app/instance /app/models
USER moderation

ENV MODERATION_MODEL_DIR=/app/models
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
    CMD python -c "import urllib.request,os; urllib.request.urlopen('http://127.0.0.1:%s/readyz' % os.environ.get('PORT','8000'), timeout=4)"
CMD ["sh", "-c", "flask --app service db upgrade && exec gunicorn --config gunicorn.conf.py 'service:create_app()'"]
