package io.readtwice.prompt;

import java.io.Serializable;
import java.util.Objects;

/**
 * Everything that decides how a row becomes a prompt. Checked when constructed: a combination that cannot work is an
 * {@link IllegalArgumentException} naming the setting, before any row is read.
 *
 * @param task          which templates and cleaning rules apply
 * @param strategy      how many times the document is read ({@code default}, {@code twice}, {@code repeat:N})
 * @param template      a user template ({@link UserTemplate}) replacing the task templates, or null; needs task
 *                      {@link Task#GENERIC} and strategy {@code default}, since it spells out the whole prompt
 * @param cut           how the document is cut to {@code contextTokens} before templating
 * @param contextTokens the cut's token budget; 0 exactly when {@code cut} is {@link ContextCut#NONE}. To reproduce the
 *                      harness's {@code --context_length 1000 --answer_length 50}, use 950 (model-spec §6.3)
 * @param maxLength     the model's context: the prompt is left-truncated to {@code maxLength − maxNewTokens} tokens
 *                      (model-spec §6.2; 2048)
 * @param maxNewTokens  tokens generated at most (48 in the paper)
 */
public record PromptOptions(Task task, PromptStrategy strategy, String template, ContextCut cut, int contextTokens,
                            int maxLength, int maxNewTokens) implements Serializable {
    /** {@code model_max_length} of the GPT-2 tokenizer the harness uses (model-spec §6.1). */
    public static final int PAPER_MAX_LENGTH = 2048;
    /** {@code max_gen_toks} of every based_* task (model-spec §7). */
    public static final int PAPER_MAX_NEW_TOKENS = 48;

    public PromptOptions {
        Objects.requireNonNull(task, "task");
        Objects.requireNonNull(strategy, "strategy");
        Objects.requireNonNull(cut, "cut");
        if (template != null) {
            if (template.isEmpty()) {
                throw new IllegalArgumentException("the prompt template is empty");
            }
            if (task != Task.GENERIC) {
                throw new IllegalArgumentException("a prompt template replaces the task templates: use task generic,"
                        + " not " + task.label());
            }
            if (strategy.readings() != 1) {
                throw new IllegalArgumentException("a prompt template spells out the whole prompt, so the strategy"
                        + " must be default, not " + strategy.label() + " (write the repetition into the template)");
            }
        }
        if (contextTokens < 0) {
            throw new IllegalArgumentException("the context token budget must be 0 or more, got " + contextTokens);
        }
        if (cut == ContextCut.NONE && contextTokens != 0) {
            throw new IllegalArgumentException("a context token budget (" + contextTokens
                    + ") needs a context cut: head, tail or around-answer");
        }
        if (cut != ContextCut.NONE && contextTokens == 0) {
            throw new IllegalArgumentException("context cut " + cut.label() + " needs a token budget above 0");
        }
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("max new tokens must be at least 1, got " + maxNewTokens);
        }
        if (maxLength <= maxNewTokens) {
            throw new IllegalArgumentException("max length (" + maxLength + ") must exceed max new tokens ("
                    + maxNewTokens + "): the prompt gets max length − max new tokens");
        }
    }

    /** The paper's settings: generic task, default strategy, no template, no cut, 2048 / 48. */
    public static PromptOptions defaults() {
        return new PromptOptions(Task.GENERIC, PromptStrategy.DEFAULT, null, ContextCut.NONE, 0,
                PAPER_MAX_LENGTH, PAPER_MAX_NEW_TOKENS);
    }

    /** The most prompt tokens kept: {@code maxLength − maxNewTokens}. */
    public int promptTokenBudget() {
        return maxLength - maxNewTokens;
    }

    public PromptOptions withTask(Task newTask) {
        return new PromptOptions(newTask, strategy, template, cut, contextTokens, maxLength, maxNewTokens);
    }

    public PromptOptions withStrategy(PromptStrategy newStrategy) {
        return new PromptOptions(task, newStrategy, template, cut, contextTokens, maxLength, maxNewTokens);
    }

    public PromptOptions withTemplate(String newTemplate) {
        return new PromptOptions(task, strategy, newTemplate, cut, contextTokens, maxLength, maxNewTokens);
    }

    public PromptOptions withCut(ContextCut newCut, int newContextTokens) {
        return new PromptOptions(task, strategy, template, newCut, newContextTokens, maxLength, maxNewTokens);
    }

    public PromptOptions withLengths(int newMaxLength, int newMaxNewTokens) {
        return new PromptOptions(task, strategy, template, cut, contextTokens, newMaxLength, newMaxNewTokens);
    }
}
