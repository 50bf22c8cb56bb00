package dev.panamacnn;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The engine's version and what it runs on, like {@code keras.__version__}. */
public final class Version {
    private Version() {}

    public static String version() {
        try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
            Properties p = new Properties();
            if (in != null) p.load(in);
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** One line: version, Java version and the SIMD width the Vector API uses here. */
    public static String describe() {
        var s = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED;
        return "panama-cnn " + version() + " on Java " + Runtime.version().feature() + " (" + System.getProperty("java.vm.name")
                + "), " + s.vectorBitSize() + "-bit vectors (" + s.length() + " floats), " + Runtime.getRuntime().availableProcessors() + " processors";
    }
}
