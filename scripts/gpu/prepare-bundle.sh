#!/usr/bin/env bash
# Builds everything the lent GPU machine needs into target/gpu-bundle (ignored; carried there: the machine has no
# JDK, Maven or network; gpu-notes §6). Then, on the GPU machine: bash scripts/gpu/run-gpu-tests.sh.
#   runtime.tgz       a jlink'd Java runtime (JAVA_HOME's jlink; Temurin 25 bundles zlib, Debian's 17 links libz.so.1):
#                     jimage with string sharing only (--compress=1, else zip-0: gzip over the whole image packs it
#                     better than jlink's per-class zip: ~18 MB instead of 24 MB), native libraries stripped of
#                     .symtab (strip --strip-unneeded, as distributions ship them; hs_err files lose C++ names)
#   junit-console.jar the JUnit console launcher (it brings its own JUnit)
#   lib/*.jar         the kernels jar (with its fatbins), the udf jar, a thin spark-job jar (the CLI: `bench`; its
#                     bundled demo models stripped) and the runtime dependencies of the three (JCuda with only the
#                     driver/runtime natives, BLAS, jtokkit, pickle, Jackson, picocli); no Spark: it is provided
#   tests/*.jar       the kernels and udf test classes
#   golden.tgz        the golden models GpuGoldenParityTest runs there (config.json, model.safetensors, cases.json),
#                     unpacked into shared/golden and passed as -Dreadtwice.shared; run-gpu-tests.sh passes the
#                     models it holds as -Dreadtwice.gpu.golden. By default the three small-vocabulary models
#                     (tiny-a tiny-b tiny-based-a, 9.9 MB packed); the full-vocabulary tiny-gpt2-jrt and
#                     tiny-gpt2-based (12.8 MB packed) are left out for the carry limit; the vocab kernel at their
#                     width (50264) is VocabGpuTest's case. GPU_GOLDEN="tiny-a tiny-gpt2-jrt" picks others.
# Everything carried (this bundle + the checkout's tracked and untracked-not-ignored files) must stay within 64 MiB;
# this script fails above 62 MiB for both together, counting the checkout as it is now.
# Usage: bash scripts/gpu/prepare-bundle.sh   (from anywhere; needs nvcc, so that the kernels jar has fatbins;
#        SHARED=<path to shared/> if it is not ../shared beside the checkout; GPU_GOLDEN as above)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bundle="$root/target/gpu-bundle"
shared="${SHARED:-$root/../shared}"
java_home="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}"
all_golden=(tiny-a tiny-b tiny-based-a tiny-gpt2-jrt tiny-gpt2-based)   # = GoldenData.MODELS
read -r -a golden_models <<<"${GPU_GOLDEN:-tiny-a tiny-b tiny-based-a}"
limit_mib=62   # bundle + checkout; the device tool takes at most 64 MiB
mvn=(nice -n 19 mvn -B -q -o)

cd "$root"
(( ${#golden_models[@]} > 0 )) || { echo "[gpu-bundle] GPU_GOLDEN names no model" >&2; exit 1; }
for m in "${golden_models[@]}"; do
  [[ " ${all_golden[*]} " == *" $m "* ]] || { echo "[gpu-bundle] GPU_GOLDEN: unknown model $m (known: ${all_golden[*]})" >&2; exit 1; }
  for f in config.json model.safetensors cases.json; do
    [[ -f "$shared/golden/$m/$f" ]] || { echo "[gpu-bundle] missing $shared/golden/$m/$f (set SHARED)" >&2; exit 1; }
  done
done

# -Dkernels.require=true: a bundle without fatbins would test nothing (nvcc writes them into kernels/target/classes).
# test-compile, not package: the jars are made here from the classes, so spark-job is not shaded (slow, and its
# original-*.jar is not reliably thin: a shaded jar left in target/ is taken as up to date and shaded again).
# Spark, Hadoop and the AWS SDK are provided, so spark-job's runtime scope is the CLI's classpath without Spark.
rm -rf kernels/target/dependency udf/target/dependency spark-job/target/dependency
"${mvn[@]}" -pl kernels,udf,spark-job -am test-compile dependency:copy-dependencies -Dkernels.require=true \
  -DincludeScope=runtime -DexcludeGroupIds=io.readtwice
rm -rf "$bundle"
mkdir -p "$bundle/lib" "$bundle/tests"
for m in kernels udf spark-job; do
  jar --create --file "$bundle/lib/readtwice-$m.jar" -C "$m/target/classes" .
done
# the demo models under io/readtwice/demo/<name>/ are tens of MB and not needed by `bench`
zip -q -d "$bundle/lib/readtwice-spark-job.jar" 'io/readtwice/demo/*/*' >/dev/null || (( $? == 12 ))   # 12: none there
cp spark-job/target/dependency/*.jar "$bundle/lib/"
# JCuda's natives jar also carries the nvPTXCompiler and NVRTC bindings (24 MB unpacked); only the driver is used.
for natives in "$bundle"/lib/jcuda-natives-*.jar; do
  zip -q -d "$natives" 'lib/libJNvPTXCompiler-*' 'lib/libJNvrtc-*' >/dev/null || (( $? == 12 ))
done
for m in kernels udf; do
  (cd "$m/target/test-classes" && jar --create --file "$bundle/tests/readtwice-$m-tests.jar" .)
done

junit_version="$(sed -n 's:.*<junit.console.version>\(.*\)</junit.console.version>.*:\1:p' pom.xml)"
"${mvn[@]}" dependency:copy -N -Dartifact="org.junit.platform:junit-platform-console-standalone:$junit_version" \
  -DoutputDirectory="$bundle" -Dmdep.stripVersion=true
mv "$bundle/junit-platform-console-standalone.jar" "$bundle/junit-console.jar"

golden_files=()
for m in "${golden_models[@]}"; do
  golden_files+=("golden/$m/config.json" "golden/$m/model.safetensors" "golden/$m/cases.json")
done
tar -C "$shared" -czf "$bundle/golden.tgz" "${golden_files[@]}"

# (jdk.zipfs: the JUnit console launcher scans the test jars as file systems.)
modules=java.base,java.logging,java.management,java.xml,java.naming,java.sql,jdk.unsupported,jdk.management,jdk.zipfs,jdk.incubator.vector
# --compress=1: string sharing, no zip (deprecated since JDK 21); a jlink that refuses it gets zip-0.
runtime="$(mktemp -d)"
"$java_home/bin/jlink" --add-modules "$modules" --compress=1 --strip-debug --no-header-files --no-man-pages \
    --output "$runtime/runtime" 2>/dev/null \
  || { rm -rf "$runtime/runtime"
       "$java_home/bin/jlink" --add-modules "$modules" --compress=zip-0 --strip-debug --no-header-files \
         --no-man-pages --output "$runtime/runtime"; }
if command -v strip >/dev/null; then
  find "$runtime/runtime/lib" -name '*.so' -exec strip --strip-unneeded {} +
fi
"$runtime/runtime/bin/java" --add-modules jdk.incubator.vector -version >/dev/null 2>&1 \
  || { echo "[gpu-bundle] the jlink'd runtime does not start" >&2; exit 1; }
tar -C "$runtime" -cf - runtime | gzip -9 >"$bundle/runtime.tgz"
rm -rf "$runtime"

mib() { awk "BEGIN{printf \"%.1f MiB\", $1/1048576}"; }
(cd "$bundle" && du -b runtime.tgz golden.tgz junit-console.jar && du -sb lib tests) | sed 's/^/[gpu-bundle] /'
echo "[gpu-bundle] golden models carried: ${golden_models[*]}"
size=$(du -sb "$bundle" | cut -f1)
# what the device tool copies besides the carried bundle: tracked files + untracked files git does not ignore
# (a tracked file deleted from the working tree is not copied: du skips it with a message, kept quiet here)
tree=$( (git ls-files -co --exclude-standard -z | du --files0-from=- -cb 2>/dev/null || true) | tail -1 | cut -f1)
total=$((size + tree))
echo "[gpu-bundle] bundle $(mib "$size") + checkout $(mib "$tree") = $(mib "$total") (limit ${limit_mib} MiB, the device takes 64)"
if (( total > limit_mib * 1024 * 1024 )); then
  {
    echo "[gpu-bundle] bundle + checkout is over ${limit_mib} MiB: the GPU machine takes at most 64 MiB in all."
    echo "[gpu-bundle] largest files of the checkout:"
    git ls-files -co --exclude-standard -z | du --files0-from=- -b 2>/dev/null | sort -rn | head -5 | sed 's/^/[gpu-bundle]   /' || true
    echo "[gpu-bundle] carry fewer golden models (GPU_GOLDEN) or keep large files out of the checkout."
  } >&2
  exit 1
fi
