#!/usr/bin/env bash
# The GPU backend's checks on a machine with a GPU, in one go (docs/gpu-notes §6):
#   1. on the build machine:  scripts/gpu/backend-tests.sh pack     (builds, gathers jars + golden models into gpu-run/)
#   2. on the GPU machine:    scripts/gpu/backend-tests.sh run      (needs java on PATH or JAVA_HOME; writes $OUT)
# "run" executes every @Tag("gpu") test of kernels and udf (GEMM kernel parity, golden models on the GPU backend
# vs the CPU engine), then `bench --backend gpu` at the 360M and 1.3B shapes, batch 16, N 2048..32768.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
pack="$root/gpu-run"
out="${OUT:-$root/gpu-run/out}"

case "${1:-}" in
  pack)
    cd "$root"
    mvn -B -q -o -pl kernels,udf,spark-job -am package -DskipTests -Dkernels.require=true
    mvn -B -q -o -pl kernels,udf -am test-compile -Dkernels.require=true
    rm -rf "$pack" && mkdir -p "$pack/lib" "$pack/golden"
    mvn -B -q -o -pl spark-job dependency:copy-dependencies -DincludeScope=test -DoutputDirectory="$pack/lib"
    cp kernels/target/*.jar udf/target/*.jar spark-job/target/readtwice-spark-job-*.jar "$pack/lib/" 2>/dev/null || true
    cp -r kernels/target/test-classes "$pack/kernels-tests" && cp -r udf/target/test-classes "$pack/udf-tests"
    cp -r ../shared/golden/tiny-* ../shared/golden/tokenizer "$pack/golden/"
    echo "packed into $pack ($(du -sh "$pack" | cut -f1)); carry gpu-run to the GPU machine"
    ;;
  run)
    java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
    mkdir -p "$out" "$pack/tmp"
    nvidia-smi >"$out/nvidia-smi.txt" 2>&1 || true
    cp="$pack/kernels-tests:$pack/udf-tests:$(ls "$pack"/lib/*.jar | paste -sd: -)"
    opts=(--add-modules=jdk.incubator.vector "-Djava.io.tmpdir=$pack/tmp" "-Dreadtwice.shared=$pack")
    launcher="$(ls "$pack"/lib/junit-platform-console-standalone-*.jar | head -1)"
    "$java" "${opts[@]}" -jar "$launcher" execute -cp "$cp" --include-tag gpu --scan-classpath \
      --details=tree --reports-dir="$out/junit" >"$out/gpu-tests.txt" 2>&1 || echo "GPU tests failed" >>"$out/gpu-tests.txt"
    for shape in jrt-360m jrt-1b; do
      "$java" "${opts[@]}" -cp "$cp" io.readtwice.cli.ReadTwiceCli bench --backend gpu --shape "$shape" \
        --batch 16 --prompt-tokens 2048,8192,32768 --new-tokens 32 --json >>"$out/bench-gpu.jsonl" 2>>"$out/bench.log" || true
    done
    echo "results in $out"
    ;;
  *)
    echo "usage: scripts/gpu/backend-tests.sh pack|run" >&2
    exit 1
    ;;
esac
