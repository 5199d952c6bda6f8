#!/usr/bin/env bash
# Spark GPU discovery script (spark.executor.resource.gpu.discoveryScript): prints the GPUs of this machine as
# {"name": "gpu", "addresses": ["0", "1", ...]} from nvidia-smi. Without nvidia-smi it reports none, and Spark
# then refuses to start an executor that asks for a GPU (rather than starting one that would silently run on the CPU).
set -euo pipefail
addresses=""
if command -v nvidia-smi >/dev/null 2>&1; then
  addresses="$(nvidia-smi --query-gpu=index --format=csv,noheader | tr -d ' ' | sed 's/.*/"&"/' | paste -sd, -)"
fi
echo "{\"name\": \"gpu\", \"addresses\": [${addresses}]}"
