package io.readtwice.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.readtwice.checkpoint.CheckpointLoader;
import io.readtwice.checkpoint.ModelCheckpoint;
import io.readtwice.checkpoint.WeightsFormat;
import io.readtwice.generate.Generation;
import io.readtwice.generate.GenerationOptions;
import io.readtwice.generate.Generator;
import io.readtwice.generate.JrtPadding;
import io.readtwice.kernels.CpuBackend;
import io.readtwice.kernels.WeightPrecision;
import io.readtwice.model.BasedDecode;
import io.readtwice.model.LanguageModel;
import io.readtwice.model.ModelConfig;
import io.readtwice.text.Gpt2Tokenizer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code readtwice generate}: greedy generation for one prompt on the CPU (model-spec §6.2), as text or as one JSON
 * object with per-step log-probabilities.
 */
@Command(name = "generate",
        description = "Greedy generation for one prompt with a JRT-RNN or Based checkpoint, on the CPU.",
        sortOptions = false,
        usageHelpAutoWidth = true)
final class GenerateCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Option(names = "--model", paramLabel = "DIR", required = true,
            description = "Checkpoint folder (config.json + model.safetensors or pytorch_model.bin).")
    Path model;

    @ArgGroup(exclusive = true, multiplicity = "1")
    PromptSource prompt;

    static final class PromptSource {
        @Option(names = "--prompt", paramLabel = "TEXT", required = true,
                description = "Prompt text, tokenized with the GPT-2 BPE (no BOS/EOS).")
        String text;

        @Option(names = "--prompt-ids", paramLabel = "IDS", required = true,
                description = "Prompt as comma-separated token ids, e.g. 15496,995.")
        String ids;
    }

    @Option(names = "--max-new-tokens", paramLabel = "N", defaultValue = "" + GenerationOptions.PAPER_MAX_NEW_TOKENS,
            description = "Tokens to generate at most (default: ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--stop", paramLabel = "STR",
            description = "Stop once the generated text contains STR; repeatable. The escapes \\n, \\t, \\r and \\\\ "
                    + "are interpreted. '" + StopSequences.NONE + "' disables stopping (default: one stop, \\n).")
    List<String> stops;

    @Option(names = "--logprobs", paramLabel = "K", defaultValue = "0",
            description = "Report the K most likely tokens per step, in the --json output (default: ${DEFAULT-VALUE}).")
    int logprobs;

    @Option(names = "--jrt-padding", paramLabel = "MODE",
            description = "JRT-RNN prompts shorter than the encoder length: left (pad with token 220 and mask, as the "
                    + "reference harness does) or none (default: left; ignored for other models).")
    JrtPadding jrtPadding;

    @Option(names = "--based-decode", paramLabel = "MODE", defaultValue = "consistent",
            description = "Based recurrent decode: consistent (equals a parallel forward) or reference (repeats the "
                    + "reference's double kv-state update) (default: consistent; ignored for other models).")
    BasedDecode basedDecode;

    @Option(names = "--weights", paramLabel = "TYPE", defaultValue = "fp32",
            description = "Weight storage in memory: fp32, bf16 or fp16 (half the memory; exact for checkpoints "
                    + "stored in that format) (default: ${DEFAULT-VALUE}).")
    String weights;

    @Option(names = "--json", description = "Print one JSON object with ids, log-probabilities and text.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        List<String> stopSequences = stopSequences();
        WeightPrecision precision;
        try {
            precision = WeightPrecision.parse(weights);
        } catch (IllegalArgumentException e) {
            throw usage("--weights: " + e.getMessage());
        }
        if (maxNewTokens < 1) {
            throw usage("--max-new-tokens must be at least 1, got " + maxNewTokens);
        }
        if (logprobs < 0) {
            throw usage("--logprobs must be 0 or more, got " + logprobs);
        }
        Gpt2Tokenizer tokenizer = Gpt2Tokenizer.shared();
        int[] promptIds = prompt.ids != null ? parseIds(prompt.ids) : tokenizer.encode(prompt.text);
        if (promptIds.length == 0) {
            throw usage("the prompt is empty (0 tokens)");
        }
        if (!Files.exists(model)) {
            throw usage("--model: no such directory: " + model);
        }

        PrintWriter err = spec.commandLine().getErr();
        ModelCheckpoint checkpoint = CheckpointLoader.load(model, WeightsFormat.AUTO, precision);
        for (String warning : checkpoint.warnings()) {
            err.println("readtwice: warning: " + warning);
        }
        err.flush();
        ModelConfig config = checkpoint.config();
        checkVocabulary(promptIds, config.paddedVocab());
        if (logprobs > config.paddedVocab()) {
            throw usage("--logprobs " + logprobs + " exceeds the vocabulary size " + config.paddedVocab());
        }

        LanguageModel languageModel = new LanguageModel(config, checkpoint.weights(), new CpuBackend(), precision);
        Generator generator = new Generator(languageModel, tokenizer::decode);
        JrtPadding padding = jrtPadding != null ? jrtPadding : config.isJrt() ? JrtPadding.LEFT : JrtPadding.NONE;
        GenerationOptions options = new GenerationOptions(maxNewTokens, stopSequences, logprobs, padding, basedDecode);
        Generation generation = generator.generate(List.of(promptIds), options).get(0);

        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(toJson(generation));
        } else {
            out.println(generation.text());
        }
        out.flush();
        return 0;
    }

    /** The stop sequences: none for {@code --stop none}, the paper's "\n" when the option is absent. */
    List<String> stopSequences() {
        try {
            return StopSequences.parse(stops);
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
    }

    /** Parses "1,2,3" (spaces and surrounding brackets allowed, so a JSON array can be pasted). */
    private int[] parseIds(String value) {
        String body = value.strip();
        if (body.startsWith("[") && body.endsWith("]")) {
            body = body.substring(1, body.length() - 1);
        }
        if (body.isBlank()) {
            return new int[0];
        }
        String[] parts = body.split(",", -1);
        int[] ids = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            String part = parts[i].strip();
            try {
                ids[i] = Integer.parseInt(part);
            } catch (NumberFormatException e) {
                throw usage("--prompt-ids: '" + part + "' is not a token id (expected comma-separated integers)");
            }
        }
        return ids;
    }

    private void checkVocabulary(int[] ids, int vocabulary) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocabulary) {
                throw usage("prompt token " + ids[i] + " (position " + i + ") is outside the model's vocabulary of "
                        + vocabulary + " tokens (ids 0.." + (vocabulary - 1) + ")");
            }
        }
    }

    private String toJson(Generation g) throws JsonProcessingException {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = mapper.createObjectNode();
        root.put("model", model.toString());
        root.put("prompt_tokens", g.promptTokens());
        root.put("padded_prompt_tokens", g.paddedPromptTokens());
        ArrayNode ids = root.putArray("token_ids");
        for (int id : g.tokenIds()) {
            ids.add(id);
        }
        ArrayNode tokenLogprobs = root.putArray("token_logprobs");
        for (float lp : g.tokenLogprobs()) {
            tokenLogprobs.add(lp);
        }
        ArrayNode top = root.putArray("top_logprobs");
        List<List<Generation.TokenLogprob>> steps = g.topLogprobs() == null ? List.of() : g.topLogprobs();
        for (List<Generation.TokenLogprob> step : steps) {
            ArrayNode candidates = top.addArray();
            for (Generation.TokenLogprob candidate : step) {
                candidates.addObject().put("id", candidate.id()).put("logprob", candidate.logprob());
            }
        }
        root.put("text", g.text());
        root.put("stopped_by", g.stoppedBy());
        return mapper.writeValueAsString(root);
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
