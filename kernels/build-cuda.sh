#!/usr/bin/env bash
# Compiles every kernels/src/main/cuda/*.cu into its own fatbin (nvcc takes one input per -fatbin), so a new module
# is picked up without a pom change. Maven runs this in generate-resources (kernels/pom.xml); by hand:
#   bash kernels/build-cuda.sh kernels/target/classes/io/readtwice/kernels/gpu kernels/target/cuda
#
# Each fatbin holds sm_90a machine code (H100), sm_80 machine code (A100 and later) and compute_80 PTX (JIT for
# anything newer), uncompressed so that FatbinArtifactsTest can read the cubins' symbols and the PTX entries.
# Writes <resources>/kernels.properties: per module its entry points (every `extern "C" __global__` name) and the
# nvcc version; ptxas register/shared-memory use per kernel goes to <logs>/ptxas-<module>.log.
#
# Environment: READTWICE_KERNELS_REQUIRE=true fails without nvcc (release builds); NVCC overrides the compiler.
set -euo pipefail

resources="${1:?usage: build-cuda.sh RESOURCE_DIR LOG_DIR}"
logs="${2:?usage: build-cuda.sh RESOURCE_DIR LOG_DIR}"
sources="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/src/main/cuda"

nvcc="${NVCC:-}"
if [[ -z "$nvcc" ]]; then
  for candidate in "${CUDA_HOME:+$CUDA_HOME/bin/nvcc}" /usr/local/cuda/bin/nvcc "$(command -v nvcc || true)"; do
    if [[ -n "$candidate" && -x "$candidate" ]]; then nvcc="$candidate"; break; fi
  done
fi
if [[ -z "$nvcc" ]]; then
  if [[ "${READTWICE_KERNELS_REQUIRE:-false}" == "true" ]]; then
    echo "[cuda] nvcc not found and kernels are required (kernels.require=true)" >&2
    exit 1
  fi
  echo "[cuda] nvcc not found - GPU kernels skipped (the CPU backend is unaffected)"
  exit 0
fi

mkdir -p "$resources" "$logs"
nvcc_version="$("$nvcc" --version | sed -n 's/.*release \([0-9.]*\).*/\1/p')"
arch_flags=(-gencode arch=compute_90a,code=sm_90a -gencode "arch=compute_80,code=[sm_80,compute_80]")
manifest="$resources/kernels.properties"
manifest_tmp="$(mktemp)"
trap 'rm -f "$manifest_tmp"' EXIT
echo "# written by kernels/build-cuda.sh: module.<name>.entries = the extern \"C\" kernels of <name>.fatbin" >"$manifest_tmp"
echo "nvcc.version=$nvcc_version" >>"$manifest_tmp"
echo "arches=sm_90a,sm_80,compute_80" >>"$manifest_tmp"

shopt -s nullglob
built=0
modules=()
for source in "$sources"/*.cu; do
  module="$(basename "$source" .cu)"
  modules+=("$module")
  target="$resources/$module.fatbin"
  entries="$(grep -ho 'extern "C" __global__ [^(]*[ *]\([A-Za-z_][A-Za-z0-9_]*\)(' "$source" \
    | sed 's/.*[ *]\([A-Za-z_][A-Za-z0-9_]*\)($/\1/' | sort -u | paste -sd, -)"
  echo "module.$module.entries=$entries" >>"$manifest_tmp"
  # Rebuild only when the module or a shared header is newer than its fatbin.
  if [[ -f "$target" ]] && [[ -z "$(find "$source" "$sources/common" -newer "$target" -print -quit)" ]]; then
    continue
  fi
  "$nvcc" -O3 -std=c++17 --threads 0 --compress-mode=none -I"$sources/common" "${arch_flags[@]}" \
    -Xptxas -v -Werror all-warnings -fatbin -o "$target.tmp" "$source" 2>"$logs/ptxas-$module.log" || {
      cat "$logs/ptxas-$module.log" >&2
      echo "[cuda] nvcc failed on $source" >&2
      exit 1
    }
  mv "$target.tmp" "$target"
  built=$((built + 1))
done
echo "modules=$(IFS=,; echo "${modules[*]}")" >>"$manifest_tmp"
mv "$manifest_tmp" "$manifest"
trap - EXIT
echo "[cuda] nvcc $nvcc_version: ${#modules[@]} module(s), $built rebuilt, into $resources"
