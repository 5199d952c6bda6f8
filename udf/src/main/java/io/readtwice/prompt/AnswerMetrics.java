package io.readtwice.prompt;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Per-row answer scores in [0, 1], each the maximum over the gold answers.
 *
 * <ul>
 *   <li>{@link #contains}: the paper's metric (model-spec §7): 1 when a gold answer occurs in the prediction as a
 *       case-insensitive literal substring (the harness's {@code re.search(re.escape(label), re.IGNORECASE)}).</li>
 *   <li>{@link #exactMatch} and {@link #f1}: the official SQuAD 2.0 evaluation ({@code exact} and {@code f1} of the
 *       squad_v2 metric, as fractions instead of percentages). Both compare normalised text: lower case, ASCII
 *       punctuation removed, the articles a/an/the removed, whitespace runs collapsed. F1 is over normalised
 *       whitespace-separated tokens, counting repeated tokens as often as they occur in both.</li>
 * </ul>
 *
 * <p>No gold answers (SQuAD 2.0's unanswerable questions) means the right answer is empty. {@code contains} is then 1
 * for a blank prediction and 0 otherwise (the harness would fail on an empty label list). EM and F1 follow SQuAD 2.0:
 * golds that normalise to nothing are dropped, and with none left the only gold is the empty answer, which a
 * prediction matches when it normalises to nothing (blank, or only punctuation and articles). The prediction should
 * already be {@link AnswerText#postProcess post-processed}.
 */
public final class AnswerMetrics {
    /** SQuAD's {@code string.punctuation}: ASCII punctuation only; other scripts' marks stay. */
    private static final String PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
    /** {@code \b(a|an|the)\b} with Python 3's Unicode word boundaries. */
    private static final Pattern ARTICLES =
            Pattern.compile("\\b(a|an|the)\\b", Pattern.UNICODE_CHARACTER_CLASS);

    private AnswerMetrics() {
    }

    /** 1 when any gold answer occurs in the prediction, ignoring case; for no golds, 1 when the prediction is blank. */
    public static double contains(String prediction, List<String> golds) {
        Objects.requireNonNull(prediction, "prediction");
        Objects.requireNonNull(golds, "golds");
        if (golds.isEmpty()) {
            return PythonStr.strip(prediction).isEmpty() ? 1 : 0;
        }
        for (String gold : golds) {
            Pattern literal = Pattern.compile(Pattern.quote(gold), Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
            if (literal.matcher(prediction).find()) {
                return 1;
            }
        }
        return 0;
    }

    /** 1 when the normalised prediction equals a normalised gold answer. */
    public static double exactMatch(String prediction, List<String> golds) {
        String predicted = normalize(prediction);
        double best = 0;
        for (String gold : scoredGolds(golds)) {
            best = Math.max(best, normalize(gold).equals(predicted) ? 1 : 0);
        }
        return best;
    }

    /** The best token-overlap F1 between the prediction and a gold answer. */
    public static double f1(String prediction, List<String> golds) {
        List<String> predicted = tokens(prediction);
        double best = 0;
        for (String gold : scoredGolds(golds)) {
            best = Math.max(best, f1(predicted, tokens(gold)));
        }
        return best;
    }

    private static double f1(List<String> predicted, List<String> gold) {
        if (predicted.isEmpty() || gold.isEmpty()) {
            return predicted.isEmpty() && gold.isEmpty() ? 1 : 0;
        }
        Map<String, Integer> goldCounts = new HashMap<>();
        for (String token : gold) {
            goldCounts.merge(token, 1, Integer::sum);
        }
        int common = 0;
        for (String token : predicted) {
            Integer left = goldCounts.get(token);
            if (left != null && left > 0) {
                goldCounts.put(token, left - 1);
                common++;
            }
        }
        if (common == 0) {
            return 0;
        }
        double precision = (double) common / predicted.size();
        double recall = (double) common / gold.size();
        return 2 * precision * recall / (precision + recall);
    }

    /** The golds SQuAD 2.0 scores against: those that normalise to something, else the empty answer. */
    private static List<String> scoredGolds(List<String> golds) {
        Objects.requireNonNull(golds, "golds");
        List<String> kept = new ArrayList<>(golds.size());
        for (String gold : golds) {
            if (!normalize(Objects.requireNonNull(gold, "gold answer")).isEmpty()) {
                kept.add(gold);
            }
        }
        return kept.isEmpty() ? List.of("") : kept;
    }

    private static List<String> tokens(String text) {
        String normalized = normalize(text);
        return normalized.isEmpty() ? List.of() : List.of(normalized.split(" "));
    }

    /** SQuAD's {@code normalize_answer}: lower, remove punctuation, remove articles, collapse whitespace. */
    static String normalize(String text) {
        String lower = Objects.requireNonNull(text, "prediction").toLowerCase(Locale.ROOT);
        StringBuilder noPunctuation = new StringBuilder(lower.length());
        for (int i = 0; i < lower.length(); i++) {
            char c = lower.charAt(i);
            if (PUNCTUATION.indexOf(c) < 0) {
                noPunctuation.append(c);
            }
        }
        String noArticles = ARTICLES.matcher(noPunctuation).replaceAll(" ");
        // Python's str.split() with no argument: split on runs of whitespace, drop empty pieces.
        StringBuilder out = new StringBuilder(noArticles.length());
        int i = 0;
        while (i < noArticles.length()) {
            while (i < noArticles.length() && PythonStr.isSpace(noArticles.charAt(i))) {
                i++;
            }
            int start = i;
            while (i < noArticles.length() && !PythonStr.isSpace(noArticles.charAt(i))) {
                i++;
            }
            if (i > start) {
                if (out.length() > 0) {
                    out.append(' ');
                }
                out.append(noArticles, start, i);
            }
        }
        return out.toString();
    }
}
