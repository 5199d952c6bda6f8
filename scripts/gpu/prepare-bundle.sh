#!/usr/bin/env bash
# Builds everything the GPU machine needs for the kernel tests and the mixer benchmark into target/gpu-bundle
# (ignored; carried to the machine, which has no JDK, Maven or network; gpu-notes §6):
#   runtime.tgz      a jlink'd Java runtime (JAVA_HOME's jlink; Temurin 25 bundles zlib, Debian's 17 links libz.so.1)
#   lib/*.jar        the kernels jar (with its fatbins), the kernels test classes, runtime dependencies (JCuda and its
#                    linux-x86_64 natives, BLAS) and the JUnit console launcher
# Then, on the GPU machine: bash scripts/gpu/run-gpu-tests.sh (it writes its results under $OUT).
# (jdk.zipfs: the JUnit console launcher scans the test jar as a file system.)
# Usage: bash scripts/gpu/prepare-bundle.sh   (from anywhere; needs nvcc, so that the jar has kernels)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bundle="$root/target/gpu-bundle"
java_home="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}"

cd "$root"
# -Dkernels.require=true: a bundle without fatbins would test nothing.
mvn -B -q -pl kernels -am package -DskipTests -Dkernels.require=true
rm -rf "$bundle"
mkdir -p "$bundle/lib"
cp kernels/target/readtwice-kernels-*.jar "$bundle/lib/"
(cd kernels/target/test-classes && jar --create --file "$bundle/lib/readtwice-kernels-tests.jar" .)
mvn -B -q -pl kernels dependency:copy-dependencies -DincludeScope=test -DexcludeArtifactIds=jmh-core,jmh-generator-annprocess,jopt-simple,commons-math3 \
  -DoutputDirectory="$bundle/lib"
junit_version="$(sed -n 's:.*<junit.console.version>\(.*\)</junit.console.version>.*:\1:p' pom.xml)"
mvn -B -q dependency:get -Dartifact="org.junit.platform:junit-platform-console-standalone:$junit_version" -N
repo="$(mvn -B -q help:evaluate -Dexpression=settings.localRepository -DforceStdout -N | sed 's/\x1b\[[0-9;]*m//g')"
cp "$repo/org/junit/platform/junit-platform-console-standalone/$junit_version/junit-platform-console-standalone-$junit_version.jar" \
  "$bundle/junit-console.jar"
# The console launcher brings its own JUnit; the separate copies would be found twice.
rm -f "$bundle"/lib/junit-*.jar "$bundle"/lib/opentest4j-*.jar "$bundle"/lib/apiguardian-*.jar

runtime="$(mktemp -d)"
"$java_home/bin/jlink" --add-modules java.base,java.logging,java.management,java.xml,java.naming,java.sql,jdk.unsupported,jdk.management,jdk.zipfs,jdk.incubator.vector \
  --compress=2 --strip-debug --no-header-files --no-man-pages --output "$runtime/runtime" 2>/dev/null \
  || "$java_home/bin/jlink" --add-modules java.base,java.logging,java.management,java.xml,java.naming,java.sql,jdk.unsupported,jdk.management,jdk.zipfs,jdk.incubator.vector \
       --compress=zip-9 --strip-debug --no-header-files --no-man-pages --output "$runtime/runtime"
tar -C "$runtime" -czf "$bundle/runtime.tgz" runtime
rm -rf "$runtime"
du -sh "$bundle" | sed 's/^/[gpu-bundle] /'
size=$(du -sb "$bundle" | cut -f1)
if (( size > 60 * 1024 * 1024 )); then
  echo "[gpu-bundle] over 60 MiB: the GPU machine takes at most 64 MiB with the checkout" >&2
  exit 1
fi
