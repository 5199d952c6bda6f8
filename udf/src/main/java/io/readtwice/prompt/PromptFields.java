package io.readtwice.prompt;

/**
 * Names of the fields a row hands to {@link PromptBuilder#build}: the two logical fields every task uses, plus the
 * optional dataset columns some paper templates read when present. A user template may name any other column.
 */
public final class PromptFields {
    /** The document (FDA/SWDE: the dataset's {@code text}; SQuAD: the paragraph). */
    public static final String CONTEXT = "context";
    /** What is asked (FDA/SWDE: the attribute {@code key}). */
    public static final String QUESTION = "question";
    /**
     * DROP, TriviaQA and NQ datasets: the question as originally asked, which their twice templates put first; when
     * absent, {@link #QUESTION} is used.
     */
    public static final String ORIG_QUESTION = "orig_question";
    /**
     * SQuAD (hazyresearch/based-squad): the harness's whole completion prompt (paragraph + cloze statement); when
     * absent, or equal to {@link #CONTEXT} (the document column itself is called {@code text}), it is built as
     * {@code context + "\nQuestion: " + question + "\nAnswer:"}.
     */
    public static final String SQUAD_TEXT = "text";

    private PromptFields() {
    }
}
