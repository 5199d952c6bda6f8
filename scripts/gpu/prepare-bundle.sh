#!/usr/bin/env bash
# Builds everything the lent GPU machine needs into target/gpu-bundle (ignored; carried there: the machine has no
# JDK, Maven or network; gpu-notes §6). Then, on the GPU machine: bash scripts/gpu/run-gpu-tests.sh.
#   runtime.tgz       a jlink'd Java runtime (JAVA_HOME's jlink; Temurin 25 bundles zlib, Debian's 17 links libz.so.1)
#   junit-console.jar the JUnit console launcher (it brings its own JUnit)
#   lib/*.jar         the kernels jar (with its fatbins), the udf jar, a thin spark-job jar (the CLI: `bench`; its
#                     bundled demo models stripped) and the runtime dependencies of the three (JCuda with only the
#                     driver/runtime natives, BLAS, jtokkit, pickle, Jackson, picocli); no Spark: it is provided
#   tests/*.jar       the kernels and udf test classes
#   golden.tgz        the golden models GpuGoldenParityTest reads (config.json, model.safetensors, cases.json of
#                     every model in GoldenData.MODELS), unpacked there into shared/golden and passed as
#                     -Dreadtwice.shared
# The bundle must stay under 60 MiB: the machine takes at most 64 MiB with the checkout.
# Usage: bash scripts/gpu/prepare-bundle.sh   (from anywhere; needs nvcc, so that the kernels jar has fatbins;
#        SHARED=<path to shared/> if it is not ../shared beside the checkout)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bundle="$root/target/gpu-bundle"
shared="${SHARED:-$root/../shared}"
java_home="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}"
golden_models=(tiny-a tiny-b tiny-based-a tiny-gpt2-jrt tiny-gpt2-based)   # = GoldenData.MODELS
mvn=(nice -n 19 mvn -B -q -o)

cd "$root"
for m in "${golden_models[@]}"; do
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
runtime="$(mktemp -d)"
"$java_home/bin/jlink" --add-modules "$modules" --compress=2 --strip-debug --no-header-files --no-man-pages \
    --output "$runtime/runtime" 2>/dev/null \
  || "$java_home/bin/jlink" --add-modules "$modules" --compress=zip-9 --strip-debug --no-header-files --no-man-pages \
       --output "$runtime/runtime"
tar -C "$runtime" -czf "$bundle/runtime.tgz" runtime
rm -rf "$runtime"

(cd "$bundle" && du -b runtime.tgz golden.tgz junit-console.jar && du -sb lib tests) | sed 's/^/[gpu-bundle] /'
size=$(du -sb "$bundle" | cut -f1)
echo "[gpu-bundle] $bundle: $((size / 1024)) KiB ($(awk "BEGIN{printf \"%.1f\", $size/1048576}") MiB)"
if (( size > 60 * 1024 * 1024 )); then
  echo "[gpu-bundle] over 60 MiB: the GPU machine takes at most 64 MiB with the checkout" >&2
  exit 1
fi
