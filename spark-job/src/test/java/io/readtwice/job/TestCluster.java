package io.readtwice.job;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real Spark standalone cluster for the {@code *IT} tests, without a Spark distribution: a master and two
 * one-core workers started from the Maven classpath (a temporary SPARK_HOME whose jars/ links every jar), the
 * workers on two loopback addresses, 127.0.0.1 and 127.0.0.2, which Spark takes for two hosts (it never puts a
 * speculative copy of a task on the host of the original). Started once per test JVM, on first use, and stopped
 * with every process it started after the last test (JUnit's root store closes it). Test classes get it as a
 * parameter through {@link Extension}.
 */
final class TestCluster implements ExtensionContext.Store.CloseableResource {
    static final List<String> HOSTS = List.of("127.0.0.1", "127.0.0.2");

    /** Resolves {@code TestCluster} parameters (of {@code @BeforeAll} methods, say) to the one shared cluster. */
    static final class Extension implements ParameterResolver {
        @Override
        public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
            return parameter.getParameter().getType() == TestCluster.class;
        }

        @Override
        public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
            return context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL)
                    .getOrComputeIfAbsent(TestCluster.class, k -> start(), TestCluster.class);
        }
    }

    final Path dir;
    final Path sparkHome;
    final int masterPort;
    private final List<Process> daemons = new ArrayList<>();

    private TestCluster(Path dir) {
        this.dir = dir;
        this.sparkHome = dir.resolve("spark-home");
        try {
            this.masterPort = freePort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static TestCluster start() {
        try {
            TestCluster c = new TestCluster(Files.createTempDirectory("readtwice-cluster-"));
            c.linkJars();
            Path masterLog = c.dir.resolve("master.log");
            c.daemons.add(c.java(masterLog, "-Xmx256m", HOSTS.get(0), List.of("org.apache.spark.deploy.master.Master",
                    "--host", HOSTS.get(0), "--port", String.valueOf(c.masterPort),
                    "--webui-port", String.valueOf(freePort()))));
            for (int w = 0; w < HOSTS.size(); w++) {
                c.daemons.add(c.java(c.dir.resolve("worker" + w + ".log"), "-Xmx256m", HOSTS.get(w), List.of(
                        "org.apache.spark.deploy.worker.Worker", "--host", HOSTS.get(w), "--cores", "1",
                        "--memory", "1g", "--webui-port", String.valueOf(freePort()),
                        "--work-dir", c.workDir(w).toString(), c.masterUrl())));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (count(masterLog, "Registering worker") < HOSTS.size()) {
                if (System.nanoTime() > deadline) {
                    c.close();
                    throw new IllegalStateException("the workers did not register:\n" + Files.readString(masterLog));
                }
                Thread.sleep(250);
            }
            return c;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void linkJars() throws IOException {
        Path jars = Files.createDirectories(sparkHome.resolve("jars"));
        String classpath = Files.readString(Path.of(System.getProperty("readtwice.spark.classpath",
                "target/spark-classpath.txt"))).strip();
        for (String entry : classpath.split(File.pathSeparator)) {
            Path jar = Path.of(entry);
            Path link = jars.resolve(jar.getFileName());
            if (entry.endsWith(".jar") && !Files.exists(link)) {
                Files.createSymbolicLink(link, jar);
            }
        }
    }

    String masterUrl() {
        return "spark://" + HOSTS.get(0) + ":" + masterPort;
    }

    Path workDir(int worker) {
        return dir.resolve("work" + worker);
    }

    /** The executor JVMs that worker {@code w} runs now. */
    List<ProcessHandle> executors(int worker) {
        return daemons.get(1 + worker).toHandle().descendants()
                .filter(p -> p.info().commandLine().orElse("").contains("CoarseGrainedExecutorBackend"))
                .toList();
    }

    /** {@code SparkSubmit} of the shaded jar's command line against this cluster; {@code conf} as --conf pairs. */
    Process submit(Path log, Map<String, String> conf, List<String> args) throws IOException {
        List<String> command = new ArrayList<>(List.of("org.apache.spark.deploy.SparkSubmit",
                "--master", masterUrl(),
                "--conf", "spark.driver.host=" + HOSTS.get(0),
                "--conf", "spark.ui.enabled=false",
                "--conf", "spark.executor.memory=512m",
                "--conf", "spark.executor.extraJavaOptions=--add-modules=jdk.incubator.vector",
                "--conf", "spark.scheduler.minRegisteredResourcesRatio=1.0",
                "--conf", "spark.scheduler.maxRegisteredResourcesWaitingTime=60s",
                // the workers are two hosts to Spark: without this, delay scheduling keeps the test's short tasks
                // on the executor that holds their shuffle input, and the other one idles
                "--conf", "spark.locality.wait=0s"));
        conf.forEach((k, v) -> command.addAll(List.of("--conf", k + "=" + v)));
        command.addAll(List.of("--class", "io.readtwice.cli.ReadTwiceCli", System.getProperty("readtwice.jar")));
        command.addAll(args);
        return java(log, "-Xmx1g", HOSTS.get(0), command);
    }

    /** The command line in a JVM of its own, as bin/readtwice runs it (local Spark unless --conf says otherwise). */
    Process cli(Path log, List<String> args) throws IOException {
        List<String> command = new ArrayList<>(List.of("-cp",
                System.getProperty("readtwice.jar") + File.pathSeparator + sparkHome.resolve("jars") + "/*",
                "io.readtwice.cli.ReadTwiceCli"));
        command.addAll(args);
        return java(log, "-Xmx1g", HOSTS.get(0), command);
    }

    /** A JVM with Spark's classpath (SPARK_HOME/jars unless the arguments give one), the add-opens flags, loopback. */
    Process java(Path log, String heap, String host, List<String> mainAndArgs) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add(heap);
        command.addAll(List.of(System.getProperty("readtwice.jvm.opens", "").split("\\s+")));
        command.removeIf(String::isBlank);
        if (!mainAndArgs.get(0).equals("-cp")) {
            command.add("-cp");
            command.add(sparkHome.resolve("jars") + "/*");
        }
        command.addAll(mainAndArgs);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("SPARK_HOME", sparkHome.toString());
        pb.environment().put("SPARK_LOCAL_IP", host);
        pb.environment().put("SPARK_SCALA_VERSION", "2.13");
        pb.environment().put("OPENBLAS_NUM_THREADS", "1");
        return pb.start();
    }

    /** Stops a child process: politely, then by force, with every process it started. */
    static void stop(Process p) {
        List<ProcessHandle> children = p.toHandle().descendants().toList();
        p.destroy();
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        children.forEach(ProcessHandle::destroyForcibly);
    }

    @Override
    public void close() {
        for (int i = daemons.size() - 1; i >= 0; i--) {
            stop(daemons.get(i));
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException ignored) {
            // a temporary folder; the OS cleans it eventually
        }
    }

    static int count(Path log, String text) throws IOException {
        if (!Files.exists(log)) {
            return 0;
        }
        String content = Files.readString(log);
        int n = 0;
        for (int i = content.indexOf(text); i >= 0; i = content.indexOf(text, i + 1)) {
            n++;
        }
        return n;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** The last {@code chars} characters of a log, for assertion messages. */
    static String tail(Path log, int chars) {
        try {
            String s = Files.readString(log);
            return s.length() <= chars ? s : "…" + s.substring(s.length() - chars);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }
}
