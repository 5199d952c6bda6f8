package io.readtwice.prompt;

/**
 * A row from which no prompt can be built (a null or empty field, an answer the around-answer cut needs but cannot
 * use, ...). The message names the field and what is wrong; the row fails, the job goes on.
 */
public class PromptException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public PromptException(String message) {
        super(message);
    }
}
