#!/usr/bin/env bash
# Runs on the lent GPU machine (no JDK, Maven or network; gpu-notes §6), from the repository root, with
# target/gpu-bundle carried (scripts/gpu/prepare-bundle.sh made it). One call does everything:
#   1. nvidia-smi and the Java runtime's version;
#   2. tests with the JUnit console launcher, JUnit XML reports:
#      - kernels: every test in io.readtwice.kernels.gpu (the @Tag("gpu") parity tests, GEMM included, plus the
#        artifact, probe, arena and plan tests);
#      - udf: the @Tag("gpu") tests (GpuGoldenParityTest: the golden models on the GPU backend vs the CPU engine;
#        only the models golden.tgz holds, passed as -Dreadtwice.gpu.golden: by default tiny-a, tiny-b and
#        tiny-based-a, the full-vocabulary ones stay home for the 64 MiB carry limit, see prepare-bundle.sh);
#   3. the mixer benchmark, io.readtwice.kernels.gpu.MixerBenchmark (paper shapes; BENCH_LENGTHS=2048,4096 to override),
#      and the GEMMs alone on each kernel (io.readtwice.kernels.gpu.GemmBenchmark, -Dreadtwice.gpu.gemm=mma|wgmma);
#   4. the model benchmark, `readtwice bench --backend gpu --json` at BENCH_SHAPES (default jrt-360m jrt-1b), batch
#      BENCH_BATCH (16), prompt tokens BENCH_PROMPT_TOKENS (2048,4096,8192,16384,32768), BENCH_ARGS (default
#      "--warmup 0 --repeats 1", so that all five N fit), each shape under BENCH_TIMEOUT seconds (100; the lines
#      already printed are kept; the GEMM-vs-tensor-core-peak line goes to bench.txt first);
#   5. the PyTorch baseline, scripts/gpu/torch_transformer_bench.py (same shapes, batch and N; FlashAttention via
#      SDPA) under TORCH_TIMEOUT seconds (150), with the first of $TORCH_PYTHON, python3, /usr/bin/python3 that
#      imports torch; then the ratio table (our prefill tok/s ÷ torch's per N) into summary.txt.
# Everything goes to $OUT (default: target/gpu-results): summary.txt, tests.log, bench.txt, bench-gpu.jsonl,
# bench-torch.jsonl, junit.tgz. Without a GPU the tests skip with the probe's reason and each benchmark writes one
# line.
# Exit status: that of the tests (3: a GPU is present but GPU tests were skipped); the benchmarks' own failures are
# written to bench.txt.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bundle="$root/target/gpu-bundle"
out="${OUT:-$root/target/gpu-results}"
mkdir -p "$out"
summary="$out/summary.txt"
for f in runtime.tgz golden.tgz junit-console.jar; do
  if [[ ! -f "$bundle/$f" ]]; then
    echo "no $bundle/$f: run scripts/gpu/prepare-bundle.sh first and carry target/gpu-bundle" | tee "$summary" >&2
    exit 2
  fi
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
tar -C "$work" -xzf "$bundle/runtime.tgz"
mkdir -p "$work/shared" "$work/tmp"
tar -C "$work/shared" -xzf "$bundle/golden.tgz"
java="$work/runtime/bin/java"
golden="$(cd "$work/shared/golden" && ls -d -- */ | tr -d / | paste -sd, -)"
# JCuda unpacks its native library into java.io.tmpdir under a fixed name: give this run its own.
jvm=(-Djava.io.tmpdir="$work/tmp" -Dreadtwice.shared="$work/shared" -Dreadtwice.gpu.golden="$golden"
     --add-modules jdk.incubator.vector)
classpath="$(ls "$bundle"/lib/*.jar | paste -sd: -)"
gpu_present=false
nvidia-smi -L >/dev/null 2>&1 && gpu_present=true

{
  echo "# readtwice GPU run, $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1 || echo "nvidia-smi failed"
  else
    echo "no nvidia-smi"
  fi
  "$java" -version 2>&1 | head -1
  echo "golden models (GpuGoldenParityTest): $golden"
} >"$summary"

# run_tests NAME TEST-JAR FILTER...: one console-launcher run, appended to tests.log
tests=0
: >"$out/tests.log"
run_tests() {
  local name="$1" jar="$2"
  shift 2
  echo "## $name" >>"$out/tests.log"
  "$java" "${jvm[@]}" -Xmx16g -jar "$bundle/junit-console.jar" execute --class-path "$classpath:$jar" \
    --scan-classpath "$jar" "$@" --fail-if-no-tests --details=tree --disable-banner --disable-ansi-colors \
    --reports-dir "$out/junit/$name" >"$out/tests-$name.log" 2>&1
  local rc=$?
  cat "$out/tests-$name.log" >>"$out/tests.log"
  # On a machine with a GPU a skipped GPU test is a failure: the probe said no (driver? kernels missing?).
  if $gpu_present && grep -Eq "\[ +[1-9][0-9]* tests aborted" "$out/tests-$name.log"; then
    echo "$name: a GPU is present but GPU tests were skipped: see tests.log" >>"$summary"
    rc=3
  fi
  {
    echo "$name tests exit $rc:"
    grep -E "tests (successful|failed|skipped|aborted)" "$out/tests-$name.log"
  } >>"$summary"
  rm -f "$out/tests-$name.log"
  (( rc != 0 && tests == 0 )) && tests=$rc
  return 0
}
run_tests kernels "$bundle/tests/readtwice-kernels-tests.jar" --include-package io.readtwice.kernels.gpu
run_tests udf "$bundle/tests/readtwice-udf-tests.jar" --include-tag gpu
tar -C "$out" -czf "$out/junit.tgz" junit && rm -rf "$out/junit"

{
  echo "## mixer benchmark"
  "$java" "${jvm[@]}" -Xmx16g -cp "$classpath" io.readtwice.kernels.gpu.MixerBenchmark ${BENCH_LENGTHS:-} 2>&1 \
    || echo "mixer benchmark exit $?"
  echo "## GEMM kernels alone (fc1, fc2 of jrt-360m at 4096 rows; mma.sync, then wgmma, forced)"
  for kernel in mma wgmma; do
    "$java" "${jvm[@]}" -Dreadtwice.gpu.gemm=$kernel -cp "$classpath" io.readtwice.kernels.gpu.GemmBenchmark \
      4096 1024 2048 2>&1 || echo "gemm benchmark ($kernel) exit $?"
  done
} >"$out/bench.txt"

: >"$out/bench-gpu.jsonl"
for shape in ${BENCH_SHAPES:-jrt-360m jrt-1b}; do
  {
    echo "## model benchmark $shape"
    timeout "${BENCH_TIMEOUT:-100}" "$java" "${jvm[@]}" -Xmx"${BENCH_HEAP:-96g}" -cp "$classpath" \
      io.readtwice.cli.ReadTwiceCli bench --backend gpu --shape "$shape" --batch "${BENCH_BATCH:-16}" \
      --prompt-tokens "${BENCH_PROMPT_TOKENS:-2048,4096,8192,16384,32768}" --new-tokens "${BENCH_NEW_TOKENS:-32}" \
      ${BENCH_ARGS---warmup 0 --repeats 1} --json 2>&1 >>"$out/bench-gpu.jsonl"
    rc=$?
    (( rc == 124 )) && echo "model benchmark $shape: over BENCH_TIMEOUT (${BENCH_TIMEOUT:-100} s); lines so far kept"
    (( rc != 0 && rc != 124 )) && echo "model benchmark $shape exit $rc"
  } >>"$out/bench.txt"
done

# PyTorch baseline (issue 7): same shapes, batch and N, FlashAttention; then ours ÷ torch per N.
: >"$out/bench-torch.jsonl"
torch_python=""
for py in ${TORCH_PYTHON:-} python3 /usr/bin/python3; do
  if "$py" -c 'import torch' >/dev/null 2>&1; then torch_python="$py"; break; fi
done
{
  echo "## PyTorch baseline (scripts/gpu/torch_transformer_bench.py)"
  if [[ -z "$torch_python" ]]; then
    echo "no python3 with torch: baseline skipped"
    echo '{"backend": "torch", "skipped": "no python3 that imports torch"}' >>"$out/bench-torch.jsonl"
  else
    torch_device=cuda
    $gpu_present || torch_device=cpu  # no GPU: the tiny smoke run, so the script is still exercised
    torch_args=(--shapes "$(echo ${BENCH_SHAPES:-jrt-360m jrt-1b} | tr ' ' ,)" --batch "${BENCH_BATCH:-16}"
                --prompt-tokens "${BENCH_PROMPT_TOKENS:-2048,4096,8192,16384,32768}"
                --new-tokens "${BENCH_NEW_TOKENS:-32}")
    $gpu_present || torch_args=(--tiny)
    timeout "${TORCH_TIMEOUT:-150}" "$torch_python" "$root/scripts/gpu/torch_transformer_bench.py" \
      --device "$torch_device" "${torch_args[@]}" 2>&1 >>"$out/bench-torch.jsonl"
    rc=$?
    (( rc == 124 )) && echo "PyTorch baseline: over TORCH_TIMEOUT (${TORCH_TIMEOUT:-150} s); lines so far kept"
    (( rc != 0 && rc != 124 )) && echo "PyTorch baseline exit $rc"
  fi
} >>"$out/bench.txt"

cat "$out/bench.txt" >>"$summary"
if [[ -s "$out/bench-gpu.jsonl" ]]; then
  echo "## bench-gpu.jsonl" >>"$summary"
  cat "$out/bench-gpu.jsonl" >>"$summary"
fi
if [[ -s "$out/bench-torch.jsonl" ]]; then
  echo "## bench-torch.jsonl" >>"$summary"
  cat "$out/bench-torch.jsonl" >>"$summary"
  echo "## ours ÷ PyTorch (prefill and decode tokens/s)" >>"$summary"
  python3 "$root/scripts/gpu/bench_ratio.py" "$out/bench-gpu.jsonl" "$out/bench-torch.jsonl" >>"$summary" 2>&1 \
    || echo "ratio table failed" >>"$summary"
fi
cat "$summary"
exit $tests
