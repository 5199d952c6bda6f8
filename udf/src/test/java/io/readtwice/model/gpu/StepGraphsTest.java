package io.readtwice.model.gpu;

import io.readtwice.model.BasedDecode;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** When a decode step runs directly, is captured, or is replayed, and what keys a graph. */
class StepGraphsTest {
    /** A graph stand-in that knows which key it was captured for and whether it was closed. */
    private static final class Recorded implements AutoCloseable {
        final StepGraphs.Key key;
        boolean closed;

        Recorded(StepGraphs.Key key) {
            this.key = key;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    /** Counts what the cache asks of the device for one key. */
    private static class Counting implements StepGraphs.Device<Recorded> {
        final StepGraphs.Key key;
        final List<String> calls;
        final List<Recorded> made;

        Counting(StepGraphs.Key key, List<String> calls, List<Recorded> made) {
            this.key = key;
            this.calls = calls;
            this.made = made;
        }

        @Override
        public void enqueue() {
            calls.add("direct " + key.sequences());
        }

        @Override
        public Recorded capture() {
            calls.add("capture " + key.sequences());
            Recorded r = new Recorded(key);
            made.add(r);
            return r;
        }

        @Override
        public void replay(Recorded graph) {
            assertEquals(key, graph.key, "a graph is replayed only for the key it was captured with");
            calls.add("replay " + key.sequences());
        }
    }

    @Test
    void theFirstStepOfAKeyRunsDirectlyTheSecondCapturesLaterOnesReplay() {
        List<String> calls = new ArrayList<>();
        List<Recorded> made = new ArrayList<>();
        StepGraphs<Recorded> graphs = new StepGraphs<>(true);
        StepGraphs.Key eight = new StepGraphs.Key(8, BasedDecode.CONSISTENT);
        StepGraphs.Key seven = new StepGraphs.Key(7, BasedDecode.CONSISTENT);
        for (int i = 0; i < 3; i++) {
            graphs.run(eight, new Counting(eight, calls, made));
        }
        for (int i = 0; i < 2; i++) {
            graphs.run(seven, new Counting(seven, calls, made));
        }
        graphs.run(eight, new Counting(eight, calls, made));
        assertEquals(List.of("direct 8", "capture 8", "replay 8", "replay 8", "direct 7", "capture 7", "replay 7",
                "replay 8"), calls);
        assertEquals(2, graphs.captured());
        graphs.close();
        assertTrue(made.stream().allMatch(r -> r.closed), "closing the cache destroys its graphs");
    }

    @Test
    void theBasedDecodeRuleIsPartOfTheKey() {
        StepGraphs.Key consistent = new StepGraphs.Key(4, BasedDecode.CONSISTENT);
        StepGraphs.Key reference = new StepGraphs.Key(4, BasedDecode.REFERENCE);
        assertNotEquals(consistent, reference, "the kv weight is a kernel argument baked into the graph");
        assertEquals(consistent, new StepGraphs.Key(4, BasedDecode.CONSISTENT));
        assertEquals(consistent.hashCode(), new StepGraphs.Key(4, BasedDecode.CONSISTENT).hashCode());
    }

    @Test
    void aFailedCaptureLeavesEveryLaterStepDirect() {
        List<String> calls = new ArrayList<>();
        StepGraphs<Recorded> graphs = new StepGraphs<>(true);
        StepGraphs.Key key = new StepGraphs.Key(3, BasedDecode.CONSISTENT);
        StepGraphs.Device<Recorded> failing = new Counting(key, calls, new ArrayList<>()) {
            @Override
            public Recorded capture() {
                calls.add("capture fails");
                throw new IllegalStateException("operation not permitted when stream is capturing");
            }
        };
        for (int i = 0; i < 3; i++) {
            graphs.run(key, failing);
        }
        assertEquals(List.of("direct 3", "capture fails", "direct 3", "direct 3"), calls);
        assertTrue(graphs.captureFailure().getMessage().contains("capturing"));
        assertEquals(0, graphs.captured());
    }

    @Test
    void withoutGraphsEveryStepRunsDirectly() {
        List<String> calls = new ArrayList<>();
        StepGraphs<Recorded> graphs = new StepGraphs<>(false);
        StepGraphs.Key key = new StepGraphs.Key(2, BasedDecode.CONSISTENT);
        for (int i = 0; i < 3; i++) {
            graphs.run(key, new Counting(key, calls, new ArrayList<>()));
        }
        assertEquals(List.of("direct 2", "direct 2", "direct 2"), calls);
        assertEquals(0, graphs.captured());
    }
}
