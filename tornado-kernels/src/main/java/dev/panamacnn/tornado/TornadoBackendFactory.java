package dev.panamacnn.tornado;

import dev.panamacnn.exec.Backend;
import dev.panamacnn.exec.BackendFactory;
import dev.panamacnn.exec.Model;

import java.util.List;

/** {@code --backend tornado}, found through {@link java.util.ServiceLoader} when this module is on the class path. */
public final class TornadoBackendFactory implements BackendFactory {
    @Override public String name() { return "tornado"; }

    @Override public String unavailableReason() {
        try {
            Class.forName("uk.ac.manchester.tornado.api.TornadoExecutionPlan");
        } catch (ClassNotFoundException | LinkageError e) {
            return "TornadoVM's API is not in this JVM: start it with bin/panama-cnn-tornado (which adds @$TORNADOVM_HOME/tornado-argfile)";
        }
        try {
            if (TornadoDevices.list().isEmpty()) return "TornadoVM sees no device";
        } catch (RuntimeException | LinkageError e) {
            return "TornadoVM did not start: " + e;
        }
        return null;
    }

    @Override public List<Device> devices() { return TornadoDevices.list(); }

    @Override public Backend create(Model model, String id, int capacity) {
        return TornadoBackend.create(model, TornadoDevices.pick(id), capacity);
    }
}
