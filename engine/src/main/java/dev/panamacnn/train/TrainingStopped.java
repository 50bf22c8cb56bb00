package dev.panamacnn.train;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A flag that asks {@code fit} to stop at the end of the current step (after writing a checkpoint when
 * checkpointing is on). The CLI sets it from its Ctrl-C handler.
 */
public final class TrainingStopped {
    private final AtomicBoolean requested = new AtomicBoolean();

    public void request() { requested.set(true); }
    public boolean requested() { return requested.get(); }
}
