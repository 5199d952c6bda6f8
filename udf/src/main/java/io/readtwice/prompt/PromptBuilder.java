package io.readtwice.prompt;

import io.readtwice.text.Gpt2Tokenizer;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns a row into the prompt the model reads: cut the document to its budget ({@link DocumentCut}), apply the task
 * template ({@link TaskTemplates}) or the user's ({@link UserTemplate}), tokenize (GPT-2, no BOS), left-truncate to
 * {@code maxLength − maxNewTokens} tokens (model-spec §6.2). Every cut is reported on the row.
 *
 * <p>Immutable and serialisable: it is built once on the driver, where {@link #create} checks the options and
 * template, and travels to the executors. The tokenizer is the JVM-wide {@link Gpt2Tokenizer#shared()}, looked up
 * per call, so nothing heavy is serialised.
 */
public final class PromptBuilder implements Serializable {
    private static final long serialVersionUID = 1L;

    private final PromptOptions options;
    /** Null when the task templates apply. */
    private final UserTemplate template;
    private final Set<String> requiredFields;
    private final Set<String> optionalFields;

    private PromptBuilder(PromptOptions options, UserTemplate template) {
        this.options = options;
        this.template = template;
        Set<String> required = new LinkedHashSet<>();
        Set<String> optional = new LinkedHashSet<>();
        if (template != null) {
            required.addAll(template.fields());
        } else {
            required.add(PromptFields.CONTEXT);
            required.add(PromptFields.QUESTION);
            if (options.task() == Task.SQUAD) {
                optional.add(PromptFields.SQUAD_TEXT);
            }
            if (options.strategy().readings() > 1 && (options.task() == Task.DROP
                    || options.task() == Task.TRIVIAQA || options.task() == Task.NQ)) {
                optional.add(PromptFields.ORIG_QUESTION);
            }
        }
        this.requiredFields = Collections.unmodifiableSet(required);
        this.optionalFields = Collections.unmodifiableSet(optional);
    }

    /**
     * A builder for these options. Throws {@link IllegalArgumentException} naming the problem when the template's
     * syntax is bad, or when a document cut is asked for but the template has no {@code {context}} to cut.
     */
    public static PromptBuilder create(PromptOptions options) {
        UserTemplate template = options.template() == null ? null : UserTemplate.parse(options.template());
        if (template != null && options.cut() != ContextCut.NONE
                && !template.fields().contains(PromptFields.CONTEXT)) {
            throw new IllegalArgumentException("context cut " + options.cut().label() + " cuts the {"
                    + PromptFields.CONTEXT + "} field, which the prompt template does not use");
        }
        return new PromptBuilder(options, template);
    }

    public PromptOptions options() {
        return options;
    }

    /**
     * The fields every row must provide (non-null): {@code context} and {@code question} for the task templates,
     * the placeholders for a user template, in order. Check them against the input schema before any work.
     */
    public Set<String> requiredFields() {
        return requiredFields;
    }

    /**
     * Fields a paper template uses when the row has them ({@link PromptFields#SQUAD_TEXT} for SQuAD,
     * {@link PromptFields#ORIG_QUESTION} for DROP/TriviaQA/NQ with two or more readings); pass them through when the
     * input has such a column.
     */
    public Set<String> optionalFields() {
        return optionalFields;
    }

    /**
     * The prompt for one row.
     *
     * @param fields      the row: the logical fields {@code context}/{@code question} and any input columns by name
     * @param goldAnswers the gold answers, or null/empty when there are none; only the around-answer cut reads them
     * @throws PromptException when a required field is missing, null or (context, question) blank, when the
     *                         around-answer cut has no usable answer, or when the prompt comes out empty
     */
    public PreparedPrompt build(Map<String, String> fields, List<String> goldAnswers) {
        Gpt2Tokenizer tokenizer = Gpt2Tokenizer.shared();
        List<String> truncations = new ArrayList<>(2);
        String prompt = template != null
                ? userPrompt(fields, goldAnswers, tokenizer, truncations)
                : taskPrompt(fields, goldAnswers, tokenizer, truncations);

        int[] ids = tokenizer.encode(prompt);
        if (ids.length == 0) {
            throw new PromptException("the prompt is empty (0 tokens)");
        }
        int budget = options.promptTokenBudget();
        if (ids.length <= budget) {
            return new PreparedPrompt(prompt, ids, ids.length, truncations);
        }
        // The harness keeps the last tokens: the question sits at the end of every template (model-spec §6.2).
        int[] kept = new int[budget];
        System.arraycopy(ids, ids.length - budget, kept, 0, budget);
        truncations.add("prompt: kept the last " + budget + " of " + ids.length + " tokens (max length "
                + options.maxLength() + " − " + options.maxNewTokens() + " new tokens)");
        return new PreparedPrompt(tokenizer.decode(kept), kept, ids.length, truncations);
    }

    private String taskPrompt(Map<String, String> fields, List<String> goldAnswers, Gpt2Tokenizer tokenizer,
                              List<String> truncations) {
        Task task = options.task();
        String context = nonBlank(fields, PromptFields.CONTEXT);
        String question = nonBlank(fields, PromptFields.QUESTION);
        String squadText = task == Task.SQUAD ? fields.get(PromptFields.SQUAD_TEXT) : null;
        if (context.equals(squadText)) {
            // The document column itself is named "text" (--context-col text): it is no harness completion prompt.
            squadText = null;
        }
        String origQuestion = fields.get(PromptFields.ORIG_QUESTION);

        if (task == Task.SQUAD && squadText != null) {
            // The harness cuts its completion prompt ("text"), not the paragraph.
            squadText = cutDocument(squadText, PromptFields.SQUAD_TEXT, question, goldAnswers, tokenizer,
                    truncations);
        } else {
            if (task == Task.SWDE) {
                // The harness drops SWDE's summary section while loading, before the document is cut.
                context = PythonStr.beforeFirst(context, TaskTemplates.SWDE_SUMMARY_MARKER);
            }
            context = cutDocument(context, PromptFields.CONTEXT, question, goldAnswers, tokenizer, truncations);
        }
        return TaskTemplates.render(task, options.strategy().readings(), context, question, origQuestion, squadText);
    }

    private String userPrompt(Map<String, String> fields, List<String> goldAnswers, Gpt2Tokenizer tokenizer,
                              List<String> truncations) {
        if (!template.fields().contains(PromptFields.CONTEXT)) {
            return template.render(fields, Map.of());
        }
        String context = nonBlank(fields, PromptFields.CONTEXT);
        String question = fields.get(PromptFields.QUESTION);
        String cut = cutDocument(context, PromptFields.CONTEXT, question, goldAnswers, tokenizer, truncations);
        return template.render(fields, Map.of(PromptFields.CONTEXT, cut));
    }

    /** The document after the configured cut; the report, if any, goes to {@code truncations}. */
    private String cutDocument(String document, String field, String question, List<String> goldAnswers,
                               Gpt2Tokenizer tokenizer, List<String> truncations) {
        if (options.cut() == ContextCut.NONE) {
            return document;
        }
        List<String> terms = options.cut() == ContextCut.AROUND_ANSWER ? answerSearchTerms(question, goldAnswers)
                : List.of();
        DocumentCut.Result result = DocumentCut.apply(options.cut(), options.contextTokens(), document, terms,
                tokenizer);
        if (result.report() != null) {
            truncations.add(field.equals(PromptFields.CONTEXT) ? result.report()
                    : result.report().replaceFirst("^context:", field + ":"));
        }
        return result.document();
    }

    /**
     * What around-answer centres on, per task (model-spec §6.3): FDA/SWDE the key and the value (earliest match),
     * SQuAD, NQ and the generic task the first gold answer, DROP and TriviaQA nothing (position 0). The harness
     * drops a row whose term is empty or one character; here that row fails.
     */
    private List<String> answerSearchTerms(String question, List<String> goldAnswers) {
        List<String> terms = new ArrayList<>(2);
        switch (options.task()) {
            case DROP, TRIVIAQA -> {
                return terms;
            }
            case FDA, SWDE -> {
                terms.add(usableTerm(question, "the question (attribute key)"));
                terms.add(usableTerm(firstGold(goldAnswers), "the gold answer"));
            }
            default -> terms.add(usableTerm(firstGold(goldAnswers), "the first gold answer"));
        }
        return terms;
    }

    private static String firstGold(List<String> goldAnswers) {
        if (goldAnswers == null || goldAnswers.isEmpty()) {
            throw new PromptException("context cut around-answer needs a gold answer, and the row has none");
        }
        return goldAnswers.get(0);
    }

    private static String usableTerm(String term, String what) {
        if (term == null || term.codePointCount(0, term.length()) <= 1) {
            throw new PromptException("context cut around-answer cannot centre on " + what + " '" + term
                    + "': it needs at least 2 characters (the reference harness skips such rows)");
        }
        return term;
    }

    private static String nonBlank(Map<String, String> fields, String name) {
        String value = fields.get(name);
        if (value == null) {
            throw new PromptException("field '" + name + "' is " + (fields.containsKey(name) ? "null" : "missing"));
        }
        if (PythonStr.strip(value).isEmpty()) {
            throw new PromptException("field '" + name + "' is " + (value.isEmpty() ? "empty" : "blank"));
        }
        return value;
    }
}
