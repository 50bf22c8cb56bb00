package dev.panamacnn.cli;

/**
 * Ctrl-C handling: the first SIGINT runs {@code onFirst} (training then stops cleanly after its current
 * step); a second one ends the process at once with exit code 130.
 */
final class Interrupts {
    private Interrupts() {}

    @SuppressWarnings("restriction")
    static void onCtrlC(Runnable onFirst) {
        try {
            final boolean[] seen = {false};
            sun.misc.Signal.handle(new sun.misc.Signal("INT"), sig -> {
                synchronized (seen) {
                    if (seen[0]) Runtime.getRuntime().halt(130);
                    seen[0] = true;
                }
                onFirst.run();
            });
        } catch (IllegalArgumentException | UnsupportedOperationException | NoClassDefFoundError e) {
            // no signal support here: Ctrl-C keeps its default meaning (the last checkpoint remains)
        }
    }
}
