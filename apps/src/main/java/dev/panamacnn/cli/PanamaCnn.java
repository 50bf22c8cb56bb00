package dev.panamacnn.cli;

import dev.panamacnn.data.IdxFormatException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;

/** The {@code panama-cnn} command line. */
@Command(name = "panama-cnn", mixinStandardHelpOptions = true, versionProvider = PanamaCnn.Version.class,
        description = "Train and run convolutional networks on the JDK's Vector and FFM APIs.")
public final class PanamaCnn implements Runnable {
    /** The subcommands, in the order the help lists them. */
    static final List<Class<?>> COMMANDS = List.of(TrainCommand.class, EvaluateCommand.class, PredictCommand.class, ServeCommand.class,
            ExportCommand.class, ImportCommand.class, DevicesCommand.class, ShowCommand.class, ReportCommand.class, SummaryCommand.class,
            CommandLine.HelpCommand.class);

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    /** True when output goes to a terminal: progress is then redrawn in place. */
    boolean interactive;

    @Override public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command: try 'panama-cnn train' or 'panama-cnn --help'");
    }

    public static void main(String[] args) {
        java.io.Console console = System.console();
        boolean tty = console != null && console.isTerminal();
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true), tty));
    }

    public static int run(String[] args, PrintWriter out, PrintWriter err) { return run(args, out, err, false); }

    /** Runs the CLI and returns the exit code: 0 ok, 1 runtime error, 2 bad usage. Never prints a stack trace unless asked. */
    public static int run(String[] args, PrintWriter out, PrintWriter err, boolean interactive) {
        PanamaCnn root = new PanamaCnn();
        root.interactive = interactive;
        CommandLine cl = new CommandLine(root);
        // picocli reflects over every option of every subcommand it is given (~0.2 s of a one-image predict); a run that
        // names its subcommand first gets only that one, and everything else (help, a typo, no command) all of them
        Class<?> named = null;
        for (Class<?> c : COMMANDS) {
            if (c != CommandLine.HelpCommand.class && args.length > 0 && c.getAnnotation(Command.class).name().equals(args[0])) named = c;
        }
        for (Class<?> c : COMMANDS) {
            if (named == null || c == named) cl.addSubcommand(c.getAnnotation(Command.class).name(), instantiate(c));
        }
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((ex, a) -> {
            err.println("panama-cnn: " + ex.getMessage());
            CommandLine.UnmatchedArgumentException.printSuggestions(ex, err);
            err.println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help' for more information.");
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            err.println("panama-cnn: error: " + describe(ex));
            if (Boolean.getBoolean("panamacnn.debug")) ex.printStackTrace(err);
            return 1;
        });
        return cl.execute(args);
    }

    private static Object instantiate(Class<?> c) {
        try {
            var k = c.getDeclaredConstructor();
            k.setAccessible(true);
            return k.newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot make the command " + c.getName(), e);
        }
    }

    static String describe(Throwable ex) {
        if (ex instanceof UncheckedIOException u && u.getCause() != null) ex = u.getCause();
        if (ex instanceof IdxFormatException || ex instanceof dev.panamacnn.io.ModelFormatException
                || ex instanceof dev.panamacnn.train.TrainingDivergedException
                || ex instanceof dev.panamacnn.data.DigitImages.ImageFormatException
                || ex instanceof dev.panamacnn.gpu.BackendChoice.Unavailable
                || ex instanceof dev.panamacnn.opencl.ClException) return ex.getMessage();
        if (ex instanceof NoSuchFileException n) return n.getFile() + ": no such file or directory";
        if (ex instanceof java.nio.file.AccessDeniedException a) return a.getFile() + ": permission denied";
        if (ex instanceof IOException || ex instanceof IllegalArgumentException || ex instanceof IllegalStateException) {
            return ex.getMessage();
        }
        if (ex instanceof OutOfMemoryError) return "out of memory (" + ex.getMessage() + "); try a smaller --batch-size";
        return ex.getClass().getSimpleName() + ": " + ex.getMessage() + " (run with -Dpanamacnn.debug=true for the stack trace)";
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override public String[] getVersion() {
            return new String[] {dev.panamacnn.Version.describe()};
        }
    }
}
