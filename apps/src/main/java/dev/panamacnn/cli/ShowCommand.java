package dev.panamacnn.cli;

import dev.panamacnn.data.Dataset;
import dev.panamacnn.data.Mnist;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code panama-cnn show}: look at the data, as the tutorial's {@code plt.imshow(x_train[0])}. */
@Command(name = "show", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Draw an MNIST digit (--index) or a grid of test digits with their labels (--grid) as a PNG.")
final class ShowCommand implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @CommandLine.Mixin DataOptions data;
    @CommandLine.ParentCommand PanamaCnn parent;

    @Option(names = "--index", description = "Draw this image of the training set (x_train[N]).")
    Integer index;

    @Option(names = "--test", description = "With --index: take the image from the test set instead.")
    boolean test;

    @Option(names = "--grid", description = "Draw ROWSxCOLS test digits with their labels, e.g. 8x8.")
    String grid;

    @Option(names = "--scale", defaultValue = "8", description = "Pixels per MNIST pixel (default: ${DEFAULT-VALUE}).")
    int scale;

    @Option(names = "--gray", description = "Gray instead of matplotlib's default colormap (viridis).")
    boolean gray;

    @Option(names = "--out", description = "PNG file to write (default: digit-N.png or grid-RxC.png).")
    Path out;

    @Option(names = "--ascii", description = "Also draw the digit with characters (done anyway on a terminal).")
    boolean ascii;

    @Override public Integer call() throws Exception {
        PrintWriter o = spec.commandLine().getOut();
        CommandLine cl = spec.commandLine();
        if ((index == null) == (grid == null)) throw new CommandLine.ParameterException(cl, "give either --index N or --grid RxC");
        if (scale < 1 || scale > 64) throw new CommandLine.ParameterException(cl, "--scale must be in 1..64, got " + scale);
        int rows = 0, cols = 0;
        if (grid != null) {
            String[] p = grid.toLowerCase().split("x");
            try {
                rows = Integer.parseInt(p[0]);
                cols = Integer.parseInt(p[1]);
            } catch (RuntimeException e) {
                throw new CommandLine.ParameterException(cl, "--grid must look like 8x8, got '" + grid + "'");
            }
            if (p.length != 2 || rows < 1 || cols < 1 || rows * cols > 2500) throw new CommandLine.ParameterException(cl, "--grid must be RxC with 1 <= R*C <= 2500, got '" + grid + "'");
        }
        Mnist mnist = data.load(o);
        if (index != null) {
            Dataset d = test ? mnist.test() : mnist.train();
            if (index < 0 || index >= d.size()) throw new CommandLine.ParameterException(cl, "--index must be in 0.." + (d.size() - 1) + ", got " + index);
            float[] px = d.slice(index, 1).x().toArray();
            Path file = out != null ? out : Path.of("digit-" + index + ".png");
            Pictures.write(Pictures.digit(px, scale, !gray), file);
            if (ascii || (parent != null && parent.interactive)) o.print(Pictures.terminal(px));
            o.println((test ? "x_test[" : "x_train[") + index + "] (label " + d.label(index) + ") written to " + file);
        } else {
            Dataset d = mnist.test();
            int n = Math.min(rows * cols, d.size());
            List<float[]> digits = new ArrayList<>();
            List<String> caps = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                digits.add(d.slice(i, 1).x().toArray());
                caps.add(Integer.toString(d.label(i)));
            }
            BufferedImage img = Pictures.grid(digits, caps, null, cols, Math.max(1, Math.min(scale, 4)));
            Path file = out != null ? out : Path.of("grid-" + rows + "x" + cols + ".png");
            Pictures.write(img, file);
            o.println("the first " + n + " test digits with their labels written to " + file);
        }
        o.flush();
        return 0;
    }
}
