package io.readtwice.answer;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * PLACEHOLDER until the prompt package (issue 3) provides AnswerText and AnswerMetrics: answer clean-up and the
 * gold-answer metrics (contains as in the paper's harness, SQuAD-style exact match and token F1).
 */
final class Scoring {
    private Scoring() {
    }

    /** The generation cut before the first stop sequence, surrounding whitespace removed. */
    static String postProcess(String generation, List<String> stops) {
        int cut = generation.length();
        for (String stop : stops) {
            int at = generation.indexOf(stop);
            if (at >= 0) {
                cut = Math.min(cut, at);
            }
        }
        return generation.substring(0, cut).strip();
    }

    static double contains(String answer, List<String> gold) {
        String a = answer.toLowerCase(Locale.ROOT);
        for (String g : gold) {
            if (!g.isBlank() && a.contains(g.strip().toLowerCase(Locale.ROOT))) {
                return 1;
            }
        }
        return 0;
    }

    static double exactMatch(String answer, List<String> gold) {
        String a = normalize(answer);
        for (String g : gold) {
            if (normalize(g).equals(a)) {
                return 1;
            }
        }
        return gold.isEmpty() && a.isEmpty() ? 1 : 0;
    }

    static double f1(String answer, List<String> gold) {
        if (gold.isEmpty()) {
            return normalize(answer).isEmpty() ? 1 : 0;
        }
        double best = 0;
        List<String> predicted = tokens(answer);
        for (String g : gold) {
            best = Math.max(best, f1(predicted, tokens(g)));
        }
        return best;
    }

    private static double f1(List<String> predicted, List<String> gold) {
        if (predicted.isEmpty() || gold.isEmpty()) {
            return predicted.equals(gold) ? 1 : 0;
        }
        Map<String, Integer> counts = new HashMap<>();
        for (String t : gold) {
            counts.merge(t, 1, Integer::sum);
        }
        int common = 0;
        for (String t : predicted) {
            Integer c = counts.get(t);
            if (c != null && c > 0) {
                common++;
                counts.put(t, c - 1);
            }
        }
        if (common == 0) {
            return 0;
        }
        double precision = (double) common / predicted.size();
        double recall = (double) common / gold.size();
        return 2 * precision * recall / (precision + recall);
    }

    private static List<String> tokens(String text) {
        List<String> out = new ArrayList<>();
        for (String t : normalize(text).split(" ")) {
            if (!t.isEmpty()) {
                out.add(t);
            }
        }
        return out;
    }

    /** SQuAD normalisation: lower case, no punctuation, no articles, single spaces. */
    private static String normalize(String text) {
        String s = Normalizer.normalize(text, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT);
        s = s.replaceAll("\\p{Punct}", "");
        s = s.replaceAll("\\b(a|an|the)\\b", " ");
        return s.trim().replaceAll("\\s+", " ");
    }
}
