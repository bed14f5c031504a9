# The Slack Helper app image. Configure it with SLACK_HELPER_* variables (see .env.example).
FROM python:3.11-slim

WORKDIR /app
# torch first and pinned; on x86_64 consider PyTorch's CPU wheel index to keep the image small.
RUN pip install --no-cache-dir torch==2.13.0
COPY pyproject.toml README.md LICENSE ./
COPY db ./db
COPY ingest ./ingest
COPY mcp_server ./mcp_server
COPY agent ./agent
COPY bot ./bot
COPY evals ./evals
COPY sample ./sample
COPY bench ./bench
COPY slack_helper ./slack_helper
RUN pip install --no-cache-dir .

ENV SLACK_HELPER_DATA_DIR=/data
VOLUME ["/data"]
ENTRYPOINT ["slack-helper"]
CMD ["status"]
