#!/usr/bin/env bash
# Installs what the training code needs: Debian's python3 with PyTorch (CPU). The GPT-2 tokenizer is the job's own,
# so build the project once too (mvn -B -q package -DskipTests).
set -euo pipefail
if /usr/bin/python3 -c "import torch" >/dev/null 2>&1; then
  echo "python3-torch is already installed: $(/usr/bin/python3 -c 'import torch; print(torch.__version__)')"
  exit 0
fi
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch
