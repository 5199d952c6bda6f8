package io.readtwice.job;

import io.readtwice.answer.AnswerSettings;
import io.readtwice.answer.Answerer;
import io.readtwice.answer.LiveProgress;
import io.readtwice.answer.ModelHolder;
import io.readtwice.answer.QaAnswer;
import io.readtwice.answer.QaRequest;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;

/**
 * The executor side of the job, one call per partition: takes the model from the per-JVM {@link ModelHolder}
 * (loaded by the first task of the executor, shared by the others), then reads the partition in chunks:
 * Row → {@link QaRequest} at the edge, {@link Answerer} (token-budget micro-batches, shortest first) →
 * {@link QaAnswer} → Row. Bad rows come back as status=error rows.
 */
final class AnswerPartitions implements MapPartitionsFunction<Row, Row> {
    /** Rows read before answering; batches are packed and sorted by length within a chunk. */
    static final int CHUNK_ROWS = 512;
    private static final Logger LOG = LoggerFactory.getLogger(AnswerPartitions.class);

    private final ModelSource model;
    private final AnswerSettings settings;
    private final RowCodec codec;
    private final JobCounters counters;

    /** The backend this executor's model runs on (auto resolved), for the output rows. */
    private transient String backendRan;

    AnswerPartitions(ModelSource model, AnswerSettings settings, RowCodec codec, JobCounters counters) {
        this.model = model;
        this.settings = settings;
        this.codec = codec;
        this.counters = counters;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) throws Exception {
        if (!rows.hasNext()) {
            return Collections.emptyIterator();
        }
        TaskContext task = TaskContext.get();
        int threads = task == null ? 1 : Math.max(1, task.cpus());
        ModelHolder.Acquired acquired = ModelHolder.acquire(model.localDir(), settings.backend(), threads,
                settings.weights());
        if (acquired.loadedNow()) {
            String record = loadRecord(acquired.backend(), acquired.loadSeconds());
            LOG.info("readtwice: loaded model {} ({})", model.uri(), record);
            if (counters != null) {
                counters.modelLoads.add(record);
            }
        }
        backendRan = acquired.backend();
        Answerer answerer = new Answerer(acquired.model(), settings);
        return TestFaults.current(task).apply(task, new Iterator<>() {
            private Iterator<Row> ready = Collections.emptyIterator();

            @Override
            public boolean hasNext() {
                while (!ready.hasNext() && rows.hasNext()) {
                    ready = answerChunk(answerer, rows);
                }
                return ready.hasNext();
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return ready.next();
            }
        });
    }

    private Iterator<Row> answerChunk(Answerer answerer, Iterator<Row> rows) {
        List<Row> inputs = new ArrayList<>(CHUNK_ROWS);
        List<QaRequest> requests = new ArrayList<>(CHUNK_ROWS);
        while (rows.hasNext() && inputs.size() < CHUNK_ROWS) {
            Row row = rows.next();
            inputs.add(row);
            requests.add(request(row));
        }
        long start = System.nanoTime();
        List<QaAnswer> answers = answerer.answer(requests);
        long millis = (System.nanoTime() - start) / 1_000_000;
        List<Row> out = new ArrayList<>(answers.size());
        long failed = 0;
        long prompt = 0;
        long generated = 0;
        for (int i = 0; i < answers.size(); i++) {
            QaAnswer a = answers.get(i);
            failed += a.ok() ? 0 : 1;
            prompt += a.promptTokens();
            generated += a.generatedTokens();
            out.add(output(inputs.get(i), a));
        }
        LiveProgress.add(inputs.size(), prompt, generated);
        if (counters != null) {
            counters.rows.add(inputs.size());
            counters.failedRows.add(failed);
            counters.promptTokens.add(prompt);
            counters.generatedTokens.add(generated);
            counters.generateMillis.add(millis);
        }
        return out.iterator();
    }

    /** The row's request; a row the codec cannot read at all fails alone. */
    private QaRequest request(Row row) {
        try {
            return codec.toRequest(row);
        } catch (RuntimeException e) {
            return QaRequest.invalid(codec.idOrNull(row), "cannot read the row: " + e, null);
        }
    }

    /** The output row; if the answer cannot be put into one, an error row says why. */
    private Row output(Row input, QaAnswer a) {
        try {
            return codec.toRow(input, a, backendRan);
        } catch (RuntimeException e) {
            return codec.toRow(input, QaAnswer.failed(a.id(), a.promptTokens(), a.truncated(),
                    "cannot write the answer: " + e), backendRan);
        }
    }

    private static String loadRecord(String backend, double seconds) {
        SparkEnv env = SparkEnv.get();
        String executor = env == null ? "none" : env.executorId();
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = "unknown";
        }
        return String.format(Locale.ROOT, "executor=%s host=%s pid=%d backend=%s seconds=%.3f", executor, host,
                ProcessHandle.current().pid(), backend, seconds);
    }
}
