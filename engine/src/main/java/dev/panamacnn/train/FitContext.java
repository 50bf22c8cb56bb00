package dev.panamacnn.train;

import dev.panamacnn.exec.Backend;
import dev.panamacnn.exec.Network;
import dev.panamacnn.io.ModelIO;
import dev.panamacnn.optim.Optimizer;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

/**
 * What a callback may do to the training it watches, as Keras' {@code callback.model} lets it: stop training at the
 * end of the epoch ({@code model.stop_training = True}), read and set the learning rate, take and restore a copy of
 * the weights, and save the model. It works on whatever backend runs the model (device weights are pulled first).
 */
public final class FitContext {
    private final Network net;
    private final Backend backend;
    private boolean stopRequested;

    FitContext(Network net, Backend backend) {
        this.net = net;
        this.backend = backend;
    }

    /** Ends training after the current epoch (EarlyStopping). */
    public void stopTraining() { stopRequested = true; }

    public boolean stopRequested() { return stopRequested; }

    public Optimizer optimizer() { return net.optimizer(); }

    /** A copy of every parameter (trainable and not), in the model's parameter order. */
    public float[] weights() {
        backend.pullState();
        return net.parameters().toArray(ValueLayout.JAVA_FLOAT);
    }

    /** Puts back a copy taken by {@link #weights()}. */
    public void setWeights(float[] w) {
        if (w.length != net.paramCount()) throw new IllegalArgumentException("expected " + net.paramCount() + " weights, got " + w.length);
        backend.pullState();   // the optimizer state stays the backend's
        MemorySegment.copy(w, 0, net.parameters(), ValueLayout.JAVA_FLOAT, 0, w.length);
        backend.pushState();
    }

    /** Saves the model ({@code model.json} and {@code weights.bin}) into {@code dir}, atomically. */
    public void saveModel(Path dir) throws IOException {
        backend.pullState();
        ModelIO.save(net, dir);
    }
}
