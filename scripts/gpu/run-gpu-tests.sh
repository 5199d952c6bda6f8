#!/usr/bin/env bash
# Runs on the lent GPU machine (no JDK, Maven or network; gpu-notes §6), from the repository root, with
# target/gpu-bundle carried (scripts/gpu/prepare-bundle.sh made it):
#   1. nvidia-smi and the JCuda probe;
#   2. the kernel tests with the JUnit console launcher: the GPU parity tests (@Tag gpu) plus the artifact and probe
#      tests, reports as JUnit XML;
#   3. the mixer benchmark (paper shapes; override with BENCH_LENGTHS=2048,4096).
# Everything goes to $OUT (default: target/gpu-results): summary.txt, tests.log, bench.txt, junit.tgz.
# Exit status: that of the tests (the benchmark's own failure is written to bench.txt).
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bundle="$root/target/gpu-bundle"
out="${OUT:-$root/target/gpu-results}"
mkdir -p "$out"
summary="$out/summary.txt"
if [[ ! -f "$bundle/runtime.tgz" ]]; then
  echo "no $bundle/runtime.tgz: run scripts/gpu/prepare-bundle.sh first and carry target/gpu-bundle" | tee "$summary" >&2
  exit 2
fi

work="$(mktemp -d)"
tar -C "$work" -xzf "$bundle/runtime.tgz"
java="$work/runtime/bin/java"
# JCuda unpacks its native library into java.io.tmpdir under a fixed name: give this run its own.
mkdir -p "$work/tmp"
jvm=(-Djava.io.tmpdir="$work/tmp" --add-modules jdk.incubator.vector -Xmx16g)
classpath="$(ls "$bundle"/lib/*.jar | paste -sd: -)"

{
  echo "# readtwice GPU run, $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1 || echo "nvidia-smi failed"
  "$java" -version 2>&1 | head -1
} >"$summary"

"$java" "${jvm[@]}" -jar "$bundle/junit-console.jar" execute --class-path "$classpath" \
  --scan-classpath "$bundle/lib/readtwice-kernels-tests.jar" --include-package io.readtwice.kernels.gpu \
  --fail-if-no-tests --details=tree --disable-banner \
  --reports-dir "$out/junit" >"$out/tests.log" 2>&1
tests=$?
# On a machine with a GPU a skipped parity test is a failure: the probe said no (driver? kernels missing?).
if nvidia-smi -L >/dev/null 2>&1 && grep -Eq "\[ +[1-9][0-9]* tests aborted" "$out/tests.log"; then
  echo "a GPU is present but GPU tests were skipped: see tests.log" >>"$summary"
  tests=3
fi
tar -C "$out" -czf "$out/junit.tgz" junit && rm -rf "$out/junit"
{
  echo "tests exit $tests:"
  grep -E "tests (successful|failed|skipped|aborted)" "$out/tests.log"
} >>"$summary"

"$java" "${jvm[@]}" -cp "$classpath" io.readtwice.kernels.gpu.MixerBenchmark ${BENCH_LENGTHS:-} >"$out/bench.txt" 2>&1 \
  || echo "benchmark exit $?" >>"$out/bench.txt"
cat "$out/bench.txt" >>"$summary"
cat "$summary"
rm -rf "$work"
exit $tests
