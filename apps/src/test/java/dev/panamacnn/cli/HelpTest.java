package dev.panamacnn.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine.Command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The command line builds only the subcommand a run names (start-up), and everything else still sees all of them:
 * the top-level help, {@code help COMMAND}, a typo's suggestions, a missing command.
 */
class HelpTest {
    @Test void topLevelHelpListsEveryCommand() {
        CliTest.Result r = CliTest.run("--help");
        assertEquals(0, r.code(), r.err());
        for (Class<?> c : PanamaCnn.COMMANDS) {
            String name = c.getAnnotation(Command.class).name();
            assertTrue(r.out().contains("\n  " + name + " "), name + " in: " + r.out());
        }
    }

    @Test void eachCommandHasItsOwnHelp() {
        for (Class<?> c : PanamaCnn.COMMANDS) {
            String name = c.getAnnotation(Command.class).name();
            if (name.equals("help")) continue;
            CliTest.Result r = CliTest.run(name, "--help");
            assertEquals(0, r.code(), name + ": " + r.err());
            assertTrue(r.out().startsWith("Usage: panama-cnn " + name), name + ": " + r.out());
            CliTest.Result h = CliTest.run("help", name);
            assertEquals(r.out(), h.out(), "'help " + name + "' and '" + name + " --help'");
        }
    }

    @Test void aTypoGetsSuggestionsAndNoCommandIsAnError() {
        CliTest.Result r = CliTest.run("predikt", "--model", "x");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("Did you mean: panama-cnn predict"), r.err());
        CliTest.Result none = CliTest.run();
        assertEquals(2, none.code());
        assertTrue(none.err().contains("missing command"), none.err());
    }

    @Test void aNamedCommandParsesItsOwnOptions() {
        CliTest.Result r = CliTest.run("predict", "digit.png");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("Missing required option: '--model=<model>'"), r.err());
        assertTrue(r.err().contains("Try 'panama-cnn predict --help'"), r.err());
    }
}
