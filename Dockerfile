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
    && pip uninstall -y arabic-comment-moderation \
    && rm -rf build *.egg-info

RUN useradd --uid 10001 --home-dir /app --no-create-home --shell /usr/sbin/nologin moderation \
    && mkdir -p /app/instance /app/models && chown moderation /app/instance /app/models

COPY service ./service
COPY training ./training
COPY gunicorn.conf.py ./
# The source runs from /app (not installed), so models/ and instance/ sit beside it.
ENV PYTHONPATH=/app
# /app, the user's home, is read-only to it: matplotlib (training report) caches elsewhere.
ENV MPLCONFIGDIR=/tmp/matplotlib
# Trained as the user that serves it: the model is its own, with no chown layer copying it.
USER moderation
RUN python -m training.train --out /app/models --no-progress

ENV MODERATION_MODEL_DIR=/app/models
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
    CMD python -c "import urllib.request,os; urllib.request.urlopen('http://127.0.0.1:%s/readyz' % os.environ.get('PORT','8000'), timeout=4)"
CMD ["sh", "-c", "flask --app service db upgrade && exec gunicorn --config gunicorn.conf.py 'service:create_app()'"]
