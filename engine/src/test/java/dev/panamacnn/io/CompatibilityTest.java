package dev.panamacnn.io;

import com.fasterxml.jackson.databind.JsonNode;
import dev.panamacnn.data.Mnist;
import dev.panamacnn.models.Sequential;
import dev.panamacnn.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Files written by the build before the layer contract (commit 8e838df, {@code benchmarks/.../MakeFixture}) still load:
 * the model predicts the same bits on the same digits, writing it again gives the same JSON, and its checkpoint
 * restores the same weights and optimizer step.
 */
class CompatibilityTest {
    static final Path FIXTURE = Path.of("src/test/resources/fixtures/v0.1");

    @Test void aModelSavedByTheOldBuildPredictsTheSameBits(@TempDir Path tmp) throws Exception {
        try (Sequential model = Sequential.load(FIXTURE.resolve("model"))) {
            Mnist digits = Mnist.load(FIXTURE.resolve("digits"), false, w -> {});
            Tensor p = model.predict(digits.test().x());
            List<String> expected = Files.readAllLines(FIXTURE.resolve("predictions.txt"));
            int[] want = expected.stream().mapToInt(h -> (int) Long.parseLong(h, 16)).toArray();
            int[] got = new int[(int) p.size()];
            for (int i = 0; i < got.length; i++) got[i] = Float.floatToRawIntBits(p.segment().getAtIndex(ValueLayout.JAVA_FLOAT, i));
            assertArrayEquals(want, got, "predictions of the fixture model, bit for bit");
            model.save(tmp.resolve("again"));
            JsonNode before = TensorFile.JSON.readTree(FIXTURE.resolve("model/model.json").toFile());
            JsonNode after = TensorFile.JSON.readTree(tmp.resolve("again/model.json").toFile());
            assertEquals(before, after, "model.json written again");
            assertEquals(Files.readString(FIXTURE.resolve("model/model.json")), Files.readString(tmp.resolve("again/model.json")),
                    "model.json written again, byte for byte (field order included)");
        }
    }

    @Test void aCheckpointWrittenByTheOldBuildRestores() throws Exception {
        try (Sequential model = Sequential.load(FIXTURE.resolve("model")); Sequential fresh = Sequential.load(FIXTURE.resolve("model"))) {
            float[] saved = model.parameters().toArray(ValueLayout.JAVA_FLOAT);
            fresh.parameters().fill((byte) 0);
            Checkpoint.State s = Checkpoint.restore(FIXTURE.resolve("checkpoint"), fresh.network(), 768, 128);
            assertArrayEquals(saved, fresh.parameters().toArray(ValueLayout.JAVA_FLOAT), 0f, "the checkpoint's weights are the saved model's");
            assertEquals(6, fresh.optimizer().iterations());
            assertEquals(1, s.epoch());
            assertEquals(0, s.step());
        }
    }
}
