package dev.panamacnn.cli;

import dev.panamacnn.runtime.Parallel;
import dev.panamacnn.data.Dataset;
import dev.panamacnn.data.Mnist;
import dev.panamacnn.exec.Backend;
import dev.panamacnn.loss.Loss;
import dev.panamacnn.models.Models;
import dev.panamacnn.models.Sequential;
import dev.panamacnn.optim.Adam;
import dev.panamacnn.optim.Optimizer;
import dev.panamacnn.optim.SGD;
import dev.panamacnn.train.EvalResult;
import dev.panamacnn.train.FitOptions;
import dev.panamacnn.train.History;
import dev.panamacnn.loss.Metric;
import dev.panamacnn.train.ProgressBar;
import dev.panamacnn.train.TrainingStopped;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code panama-cnn train}: the Keras tutorial, end to end. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train the tutorial CNN (or a Keras model JSON, --model-json) on MNIST (or a folder of images, --image-dir)",
                "and print the test loss and accuracy."})
final class TrainCommand implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @CommandLine.Mixin DataOptions data;
    @CommandLine.Mixin BackendOptions backend;
    @CommandLine.Mixin KerasOptions keras;
    @CommandLine.ParentCommand PanamaCnn parent;

    @Option(names = "--epochs", defaultValue = "10", description = "Passes over the training data (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--batch-size", defaultValue = "128", description = "Samples per gradient step (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--model-json", paramLabel = "FILE", description = "Train the model in FILE, as Keras' model.to_json() writes it (Keras 3 or tf.keras 2), instead of the tutorial network.")
    Path modelJson;

    @Option(names = "--image-dir", paramLabel = "DIR", description = "Train on a folder with one subfolder of images per class (Keras' image_dataset_from_directory) instead of MNIST; the validation split (or --test-dir) is the test set.")
    Path imageDir;

    @Option(names = "--test-dir", paramLabel = "DIR", description = "With --image-dir: a folder of the same classes to test on.")
    Path testDir;

    @Option(names = "--image-size", paramLabel = "H,W", split = ",", description = "With --image-dir: resize to H,W (default: the model's input size).")
    int[] imageSize;

    @Option(names = "--color-mode", description = "With --image-dir: grayscale, rgb or rgba (default: from the model's input channels).")
    String colorMode;

    @Option(names = "--rescale", defaultValue = "0.00392156862745098", description = "With --image-dir: multiply pixels (0-255) by this (default 1/255; 1 when the model starts with Rescaling).")
    float rescale;

    @Option(names = "--seed", defaultValue = "42", description = "Seed for weights and shuffling (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--threads", description = "Worker threads (default: all processors). Results do not depend on it.")
    Integer threads;

    @Option(names = "--limit", description = "Train on the first N training images only.")
    Integer limit;

    @Option(names = "--checkpoint-dir", description = "Where checkpoints go: at the end of every epoch, and every --checkpoint-every steps (default: ~/.cache/panama-cnn/checkpoints).")
    Path checkpointDir;

    @Option(names = "--checkpoint-every", defaultValue = "0", description = "Also checkpoint every N steps (default: 0 = only at epoch ends).")
    int checkpointEvery;

    @Option(names = "--no-checkpoint", description = "Do not write checkpoints.")
    boolean noCheckpoint;

    @Option(names = "--resume", description = "Continue from the checkpoint in --checkpoint-dir (same settings as the interrupted run).")
    boolean resume;

    @Option(names = "--save", description = "Save the trained model (model.json, weights.bin, history.csv, history.json) into this folder.")
    Path save;

    @Option(names = "--validation-split", defaultValue = "0", description = "Hold out this fraction of the training images (taken from the end) for validation each epoch (default: ${DEFAULT-VALUE}).")
    double validationSplit;

    static Path defaultCheckpointDir() {
        return dev.panamacnn.runtime.Flags.dataHome().resolve("checkpoints");
    }

    @Override public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        CommandLine cl = spec.commandLine();
        if (epochs < 1) throw new CommandLine.ParameterException(cl, "--epochs must be >= 1, got " + epochs);
        if (batchSize < 1) throw new CommandLine.ParameterException(cl, "--batch-size must be >= 1, got " + batchSize);
        if (threads != null && threads < 1) throw new CommandLine.ParameterException(cl, "--threads must be >= 1, got " + threads);
        if (limit != null && limit < 1) throw new CommandLine.ParameterException(cl, "--limit must be >= 1, got " + limit);
        if (!(validationSplit >= 0 && validationSplit < 1)) throw new CommandLine.ParameterException(cl, "--validation-split must be in [0, 1), got " + validationSplit);
        if (checkpointEvery < 0) throw new CommandLine.ParameterException(cl, "--checkpoint-every must be >= 0, got " + checkpointEvery);
        if (resume && noCheckpoint) throw new CommandLine.ParameterException(cl, "--resume and --no-checkpoint contradict each other");
        Path ckpt = noCheckpoint ? null : (checkpointDir != null ? checkpointDir : defaultCheckpointDir());
        if (resume && !dev.panamacnn.io.Checkpoint.exists(ckpt)) {
            throw new CommandLine.ParameterException(cl, "--resume: no checkpoint in " + ckpt + " (expected " + dev.panamacnn.io.Checkpoint.FILE + ")");
        }
        Optimizer opt = keras.optimizer(cl);
        Loss loss = keras.loss(cl);
        Sequential built = null;
        if (modelJson != null) {
            try {
                built = Sequential.fromKerasJson(modelJson);
            } catch (java.nio.file.NoSuchFileException e) {
                throw new CommandLine.ParameterException(cl, "--model-json: " + e.getMessage());
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(cl, "--model-json: " + e.getMessage());
            }
        }
        if (ckpt != null) Dirs.requireWritableDir(ckpt, "--checkpoint-dir");
        BackendOptions.Choice where = backend.choose(out);
        if (save != null) Dirs.requireWritableDir(save, "--save");
        Sequential model0 = built != null ? built : Models.kerasMnistTutorial();
        Data d = imageDir != null ? images(model0, cl, out) : mnist(model0, cl, out);
        Dataset train = d.train, test = d.test;
        if (limit != null) {
            if (limit > train.size()) throw new CommandLine.ParameterException(cl, "--limit " + limit + " is larger than the " + train.size() + " training images");
            train = train.take(limit);
        }
        Dataset validation = null;
        if (validationSplit > 0 && imageDir == null) {
            int nVal = (int) Math.round(train.size() * validationSplit);
            if (nVal < 1 || nVal >= train.size()) throw new CommandLine.ParameterException(cl, "--validation-split leaves no training or validation data");
            validation = train.slice(train.size() - nVal, nVal);
            train = train.take(train.size() - nVal);
        }
        if (batchSize > train.size()) {
            throw new CommandLine.ParameterException(cl, "--batch-size " + batchSize + " is larger than the " + train.size() + " training images");
        }
        if (imageDir != null && testDir == null && validationSplit > 0) { validation = d.validation; }
        if (keras.sparse()) {
            train = train.sparse();
            if (validation != null) validation = validation.sparse();
            test = test.sparse();
        }
        int nThreads = threads != null ? threads : Parallel.defaultThreads();
        List<dev.panamacnn.train.Callback> callbacks = keras.callbacks(cl, validation != null);
        try (Sequential model = model0.seed(seed).threads(nThreads)) {
            try {
                model.compile(opt, loss, keras.metric());
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(cl, (modelJson != null ? modelJson + ": " : "") + e.getMessage());
            }
            out.print(model.summary());
            try (Backend acc = backend.attach(where, model, batchSize, out)) {
                out.printf(Locale.ROOT, "Training on %d images (%s, batch %d, %s lr %s, %s, seed %d); testing on %d%n",
                        train.size(), acc != null ? acc.description() : nThreads + " threads", batchSize, opt.name(), keras.rate(), loss, seed, test.size());
                return trainAndTest(model, train, validation, test, ckpt, callbacks, out);
            }
        }
    }

    private record Data(Dataset train, Dataset validation, Dataset test) {}

    private Data mnist(Sequential model, CommandLine cl, PrintWriter out) throws java.io.IOException {
        model.build();
        if (!model.inputShape().equals(dev.panamacnn.tensor.Shape.of(28, 28, 1))) {
            throw new CommandLine.ParameterException(cl, "the model takes " + model.inputShape() + " inputs; MNIST images are (28, 28, 1) (use --image-dir for other images)");
        }
        Mnist mnist = data.load(out);
        return new Data(mnist.train(), null, mnist.test());
    }

    /** The image folder, resized to the model's input (or --image-size) and split as Keras does. */
    private Data images(Sequential model, CommandLine cl, PrintWriter out) throws java.io.IOException {
        model.build();
        dev.panamacnn.tensor.Shape in = model.inputShape();
        if (in.rank() != 3) throw new CommandLine.ParameterException(cl, "--image-dir needs a model with (height, width, channels) inputs, not " + in);
        int h = imageSize != null ? imageSize[0] : in.dim(0), w = imageSize != null ? imageSize[1] : in.dim(1);
        if (imageSize != null && imageSize.length != 2) throw new CommandLine.ParameterException(cl, "--image-size must be H,W");
        dev.panamacnn.data.ImageFolder.ColorMode mode;
        try {
            mode = colorMode != null ? dev.panamacnn.data.ImageFolder.ColorMode.of(colorMode)
                    : in.dim(2) == 1 ? dev.panamacnn.data.ImageFolder.ColorMode.GRAYSCALE : in.dim(2) == 4 ? dev.panamacnn.data.ImageFolder.ColorMode.RGBA
                    : dev.panamacnn.data.ImageFolder.ColorMode.RGB;
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, "--color-mode: " + e.getMessage());
        }
        if (testDir == null && validationSplit <= 0) throw new CommandLine.ParameterException(cl, "--image-dir needs --validation-split or --test-dir to have something to test on");
        var split = dev.panamacnn.data.ImageFolder.load(imageDir, h, w, mode, testDir == null ? validationSplit : validationSplit, seed);
        int outputs = model.outputShape().size();
        if (outputs != split.classNames().size() && !(outputs == 1 && split.classNames().size() == 2)) {
            throw new CommandLine.ParameterException(cl, "--image-dir " + imageDir + " has " + split.classNames().size() + " classes " + split.classNames()
                    + " but the model has " + outputs + " outputs");
        }
        boolean rescaled = model.layers().stream().anyMatch(l -> l instanceof dev.panamacnn.nn.Rescaling);
        float f = rescaled ? 1f : rescale;
        out.printf(Locale.ROOT, "Images: %s, classes %s, %d x %d %s, pixels x %s%n", imageDir, split.classNames(), h, w, mode.name().toLowerCase(Locale.ROOT), f);
        Dataset train = dev.panamacnn.data.ImageFolder.scaled(split.train(), f);
        Dataset val = split.validation() == null ? null : dev.panamacnn.data.ImageFolder.scaled(split.validation(), f);
        Dataset test;
        if (testDir != null) {
            var t = dev.panamacnn.data.ImageFolder.load(testDir, h, w, mode, 0, seed);
            if (!t.classNames().equals(split.classNames())) {
                throw new CommandLine.ParameterException(cl, "--test-dir has classes " + t.classNames() + ", --image-dir " + split.classNames());
            }
            test = dev.panamacnn.data.ImageFolder.scaled(t.train(), f);
        } else {
            test = val;
        }
        return new Data(train, val, test);
    }

    private int trainAndTest(Sequential model, Dataset train, Dataset validation, Dataset test, Path ckpt,
                             List<dev.panamacnn.train.Callback> callbacks, PrintWriter out) throws Exception {
        out.flush();
        boolean terminal = parent != null && parent.interactive;
        TrainingStopped stop = new TrainingStopped();
        Interrupts.onCtrlC(() -> {
            out.println();
            out.println("Stopping at the end of this step" + (ckpt != null ? " and writing a checkpoint" : "") + " (Ctrl-C again to quit at once) ...");
            out.flush();
            stop.request();
        });
        if (ckpt != null) out.println((resume ? "Resuming from " : "Checkpoints go to ") + ckpt);
        out.flush();
        FitOptions.Builder fo = FitOptions.builder().batchSize(batchSize).epochs(epochs)
                .validationData(validation).verbose(false).callback(new ProgressBar(out, terminal))
                .checkpoint(ckpt, checkpointEvery).resume(resume).stopOn(stop);
        for (var c : callbacks) fo.callback(c);
        History h = model.fit(train, fo.build());
        if (h.stoppedEarlyAt() >= 0) out.printf(Locale.ROOT, "Early stopping after epoch %d%n", h.stoppedEarlyAt() + 1);
        if (h.stopped()) {
            out.println("Training stopped." + (ckpt != null ? " Resume with: bin/panama-cnn train --resume --checkpoint-dir " + ckpt
                    + " (and the same other options)" : " No checkpoint was written (--no-checkpoint)."));
            out.flush();
            return 130;
        }
        if (save != null) {
            model.save(save);
            HistoryFiles.write(h, save);
            out.println("Saved the model to " + save);
        }
        EvalResult r = model.evaluate(test, 1000);
        double mean = h.epochSeconds().stream().mapToDouble(Double::doubleValue).average().orElse(0);
        out.printf(Locale.ROOT, "Mean epoch time: %.1f s%n", mean);
        out.printf(Locale.ROOT, "Test loss: %.4f%n", r.loss());
        out.printf(Locale.ROOT, "Test accuracy: %.4f%n", r.accuracy());
        out.flush();
        return 0;
    }
}
