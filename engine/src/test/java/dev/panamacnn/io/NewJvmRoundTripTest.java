package dev.panamacnn.io;

import org.junit.jupiter.api.Tag;

import dev.panamacnn.data.Mnist;
import dev.panamacnn.data.SyntheticDigits;
import dev.panamacnn.models.Models;
import dev.panamacnn.models.Sequential;
import dev.panamacnn.loss.Loss;
import dev.panamacnn.optim.Adam;
import dev.panamacnn.train.FitOptions;
import dev.panamacnn.loss.Metric;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Train briefly, save, load in a new JVM: the predictions there are bit-identical to the trained model's. */
@Tag("slow")
class NewJvmRoundTripTest {

    /** Child: {@code modelDir dataDir outFile}: loads the model and writes its test-set predictions. */
    public static void main(String[] args) throws Exception {
        try (Sequential m = Sequential.load(Path.of(args[0]))) {
            Mnist data = Mnist.load(Path.of(args[1]), false, w -> {});
            TensorFile tf = new TensorFile();
            tf.putFloats("p", new int[] {data.test().size() * 10}, m.predict(data.test().x()).toArray());
            tf.write(Path.of(args[2]));
        }
    }

    @Test
    void predictionsAreBitIdenticalInANewJvm(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data"), model = dir.resolve("model"), out = dir.resolve("p.bin");
        SyntheticDigits.write(data, 256, 64, 6);
        Mnist mnist = Mnist.load(data, false, w -> {});
        float[] here;
        try (Sequential m = Models.kerasMnistTutorial().seed(3).threads(2)) {
            m.compile(new Adam(), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
            m.fit(mnist.train(), FitOptions.builder().batchSize(64).epochs(1).verbose(false).build());
            m.save(model);
            here = m.predict(mnist.test().x()).toArray();
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Process p = new ProcessBuilder(List.of(java, "--add-modules", "jdk.incubator.vector", "-cp", cp,
                NewJvmRoundTripTest.class.getName(), model.toString(), data.toString(), out.toString())).inheritIO().start();
        p.waitFor(120, TimeUnit.SECONDS);
        assertEquals(0, p.exitValue());
        assertArrayEquals(here, TensorFile.read(out).get(out, "p").floats(), 0f);
    }
}
