# Container image of the bot: python -m bot, listening on $PORT (8080).
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY bot bot
COPY handlers handlers
COPY k8s k8s
USER 65532:65532
EXPOSE 8080
CMD ["python", "-m", "bot"]
