package io.readtwice.prompt;

/**
 * Hugging Face's {@code clean_up_tokenization}, which {@code tokenizer.decode} applies to GPT-2 output by default
 * ({@code clean_up_tokenization_spaces}). The reference harness decodes the around-answer window with it
 * (model-spec §6.3), so the paper's cut documents lose the space before these punctuation marks and contractions.
 * The replacements run in this order, each over the whole text (golden {@code tokenizer/gpt2-cases.json},
 * {@code decoded_hf_cleanup}).
 */
final class HfDecodeCleanup {
    private static final String[][] REPLACEMENTS = {
        {" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"},
        {" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"},
    };

    private HfDecodeCleanup() {
    }

    static String apply(String text) {
        for (String[] replacement : REPLACEMENTS) {
            text = text.replace(replacement[0], replacement[1]);
        }
        return text;
    }
}
