package io.readtwice.generate;

import io.readtwice.generate.Generation.TokenLogprob;
import io.readtwice.model.CausalLm;
import io.readtwice.model.ModelConfig;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * Greedy generation over a batch of prompts (model-spec §6.2): one prefill yields each prompt's first token, then
 * one recurrent step per further token, only for the sequences still running. Each prompt is prepared on its own
 * (JRT left padding, §6.2 step 5), so a sequence's result does not depend on what it is batched with. Runs any
 * {@link CausalLm}: the host engine or the device-resident GPU model.
 */
public final class Generator {
    /** The harness pads JRT prompts with the GPT-2 token for " " (model-spec §6.1). */
    public static final int PAD_TOKEN = 220;

    private final CausalLm<?> model;
    private final Function<int[], String> detokenizer;

    /**
     * @param model       the model to run
     * @param detokenizer turns generated ids into text, for stop sequences and {@link Generation#text()}
     */
    public Generator(CausalLm<?> model, Function<int[], String> detokenizer) {
        this.model = model;
        this.detokenizer = detokenizer;
    }

    /** Generates for every prompt; each result equals running that prompt alone. */
    public List<Generation> generate(List<int[]> prompts, GenerationOptions options) {
        return generate(model, prompts, options);
    }

    /** The loop, with the model's state type named; the states are released when it ends, however it ends. */
    private <S extends CausalLm.Sequence> List<Generation> generate(CausalLm<S> lm, List<int[]> prompts,
                                                                   GenerationOptions options) {
        int batch = prompts.size();
        List<int[]> fed = new ArrayList<>(batch);
        int[] masked = new int[batch];
        for (int s = 0; s < batch; s++) {
            int[] prompt = prompts.get(s);
            int pads = leftPadding(prompt.length, options.jrtPadding());
            int[] padded = new int[pads + prompt.length];
            Arrays.fill(padded, 0, pads, PAD_TOKEN);
            System.arraycopy(prompt, 0, padded, pads, prompt.length);
            fed.add(padded);
            masked[s] = pads;
        }

        CausalLm.Prefill<S> prefill = lm.prefill(fed, masked, false);
        try {
            List<Running> running = new ArrayList<>(batch);
            for (int s = 0; s < batch; s++) {
                running.add(new Running());
            }
            int vocab = lm.config().paddedVocab();
            float[] logits = prefill.logits();
            List<Integer> active = new ArrayList<>(batch);      // indices into running and the prefill's states
            for (int s = 0; s < batch; s++) {
                active.add(s);
            }
            while (true) {
                for (int row = 0; row < active.size(); row++) {
                    running.get(active.get(row)).choose(new LogitsRow(logits, row, vocab), options);
                }
                active.removeIf(s -> running.get(s).done);
                if (active.isEmpty()) {
                    break;
                }
                int[] next = new int[active.size()];
                List<S> states = new ArrayList<>(active.size());
                for (int i = 0; i < next.length; i++) {
                    next[i] = running.get(active.get(i)).lastToken();
                    states.add(prefill.states().get(active.get(i)));
                }
                logits = lm.step(states, next, options.basedDecode());
            }
            List<Generation> out = new ArrayList<>(batch);
            for (int s = 0; s < batch; s++) {
                out.add(running.get(s).result(prompts.get(s).length, fed.get(s).length));
            }
            return out;
        } finally {
            lm.release(prefill.states());
        }
    }

    /** Pads a JRT-RNN prompt shorter than the encoder length M up to M (model-spec §6.2), when asked to. */
    private int leftPadding(int length, JrtPadding padding) {
        ModelConfig config = model.config();
        if (!config.isJrt() || padding != JrtPadding.LEFT) {
            return 0;
        }
        return Math.max(0, config.linearAttention().encLength() - length);
    }

    /** One sequence being generated. */
    private final class Running {
        final List<Integer> ids = new ArrayList<>();
        final List<Float> logprobs = new ArrayList<>();
        final List<List<TokenLogprob>> tops = new ArrayList<>();
        String text = "";
        String stoppedBy;
        boolean done;

        void choose(LogitsRow row, GenerationOptions options) {
            int id = row.argmax();
            ids.add(id);
            logprobs.add(row.logprob(id));
            tops.add(options.logprobs() > 0 ? row.top(options.logprobs()) : List.of());
            text = detokenizer.apply(ids.stream().mapToInt(Integer::intValue).toArray());
            int cut = -1;
            for (String stop : options.stops()) {
                int at = text.indexOf(stop);
                if (at >= 0 && (cut < 0 || at < cut)) {
                    cut = at;
                    stoppedBy = stop;
                }
            }
            if (cut >= 0) {
                text = text.substring(0, cut);
                done = true;
            }
            done |= ids.size() >= options.maxNewTokens();
        }

        int lastToken() {
            return ids.get(ids.size() - 1);
        }

        Generation result(int promptTokens, int paddedPromptTokens) {
            float[] lp = new float[logprobs.size()];
            for (int i = 0; i < lp.length; i++) {
                lp[i] = logprobs.get(i);
            }
            return new Generation(promptTokens, paddedPromptTokens, ids.stream().mapToInt(Integer::intValue).toArray(),
                    lp, List.copyOf(tops), text, stoppedBy);
        }
    }
}
