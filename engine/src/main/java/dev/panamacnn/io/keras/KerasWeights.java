package dev.panamacnn.io.keras;

import dev.panamacnn.exec.Network;
import dev.panamacnn.io.ModelFormatException;
import dev.panamacnn.nn.Layer;
import dev.panamacnn.nn.ParamSpec;
import io.jhdf.HdfFile;
import io.jhdf.api.Attribute;
import io.jhdf.api.Dataset;
import io.jhdf.api.Group;
import io.jhdf.api.Node;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Keras weights into a model built from the same architecture (with the pure-Java HDF5 reader jhdf), in the layouts
 * Keras writes:
 * <ul>
 *   <li>Keras 3 {@code .weights.h5} ({@code model.save_weights}) and the {@code model.weights.h5} inside a
 *       {@code .keras} archive: {@code layers/<name>/vars/0, 1, ...} in each layer's weights order (Keras' saving_lib);</li>
 *   <li>Keras 2 / tf.keras legacy HDF5 ({@code model.save_weights("x.h5")}): the root's {@code layer_names} attribute, a
 *       group per layer with a {@code weight_names} attribute and a dataset per name; layers with weights are matched
 *       to the model's in order.</li>
 * </ul>
 * Keras' weight layouts are panama-cnn's (kernels {@code (kh, kw, cin, cout)} and {@code (in, out)}; BatchNormalization
 * gamma, beta, moving_mean, moving_variance), so values are copied as they are, after every shape is checked.
 */
public final class KerasWeights {
    private KerasWeights() {}

    /** Largest weights file or archive entry read (2 GiB). */
    static final long MAX_BYTES = Integer.MAX_VALUE - 64;

    /**
     * Loads {@code file} into {@code net}, whose layers are {@code layers} with the Keras names {@code kerasNames}
     * (null for a layer Keras did not have, e.g. an InputLayer panama-cnn added).
     *
     * @throws ModelFormatException naming the file, the layer and what does not match
     */
    public static void load(Path file, List<Layer> layers, List<String> kerasNames, Network net) throws IOException {
        byte[] bytes = read(file);
        try (HdfFile h = HdfFile.fromBytes(bytes)) {
            Node layersGroup = h.getChildren().get("layers");
            if (layersGroup instanceof Group g) keras3(file, g, layers, kerasNames, net);
            else if (h.getAttribute("layer_names") != null) legacy(file, h, layers, net);
            else throw new ModelFormatException(file, "not a Keras weights file: no 'layers' group (Keras 3) and no 'layer_names' attribute (Keras 2)");
        } catch (ModelFormatException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new ModelFormatException(file, "not a readable HDF5 file: " + e.getMessage());
        }
    }

    private static byte[] read(Path file) throws IOException {
        if (file.getFileName().toString().endsWith(".keras")) {
            try (ZipFile z = new ZipFile(file.toFile())) {
                ZipEntry e = z.getEntry("model.weights.h5");
                if (e == null) throw new ModelFormatException(file, "a .keras archive without model.weights.h5");
                if (e.getSize() > MAX_BYTES) throw new ModelFormatException(file, "model.weights.h5 declares " + e.getSize() + " bytes");
                try (InputStream in = z.getInputStream(e)) {
                    byte[] b = in.readNBytes((int) Math.min(MAX_BYTES, Math.max(0, e.getSize() < 0 ? MAX_BYTES : e.getSize())));
                    return b;
                }
            } catch (java.util.zip.ZipException e) {
                throw new ModelFormatException(file, "not a .keras (zip) archive: " + e.getMessage());
            }
        }
        long size = Files.size(file);
        if (size > MAX_BYTES) throw new ModelFormatException(file, "is " + size + " bytes; at most 2 GiB are read");
        return Files.readAllBytes(file);
    }

    private static void keras3(Path file, Group root, List<Layer> layers, List<String> names, Network net) throws ModelFormatException {
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            List<ParamSpec> specs = l.paramSpecs();
            if (specs.isEmpty()) continue;
            String name = names.get(i);
            Node g = name == null ? null : root.getChild(name);
            if (!(g instanceof Group lg) || !(lg.getChild("vars") instanceof Group vars)) {
                throw new ModelFormatException(file, "no weights for layer '" + name + "' (expected layers/" + name + "/vars)");
            }
            List<float[]> w = new ArrayList<>();
            for (int j = 0; j < specs.size(); j++) {
                if (!(vars.getChild(Integer.toString(j)) instanceof Dataset d)) {
                    throw new ModelFormatException(file, "layers/" + name + "/vars/" + j + " is missing (" + l.kerasClassName() + " has " + specs.size() + " weights)");
                }
                w.add(values(file, "layers/" + name + "/vars/" + j, d, specs.get(j)));
            }
            if (vars.getChildren().size() != specs.size()) {
                throw new ModelFormatException(file, "layers/" + name + " has " + vars.getChildren().size() + " weights, " + l.kerasClassName() + " " + l.name() + " takes " + specs.size());
            }
            put(net, i, w);
        }
    }

    private static void legacy(Path file, HdfFile h, List<Layer> layers, Network net) throws ModelFormatException {
        String[] fileLayers = strings(h.getAttribute("layer_names"));
        List<Group> weighted = new ArrayList<>();
        List<String[]> weightNames = new ArrayList<>();
        for (String n : fileLayers) {
            if (!(h.getChild(n) instanceof Group g)) throw new ModelFormatException(file, "layer_names names '" + n + "' but there is no such group");
            String[] wn = g.getAttribute("weight_names") == null ? new String[0] : strings(g.getAttribute("weight_names"));
            if (wn.length > 0) { weighted.add(g); weightNames.add(wn); }
        }
        List<Integer> ours = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) if (!layers.get(i).paramSpecs().isEmpty()) ours.add(i);
        if (ours.size() != weighted.size()) {
            throw new ModelFormatException(file, "the file has weights for " + weighted.size() + " layers, the model has " + ours.size() + " layers with weights");
        }
        for (int k = 0; k < ours.size(); k++) {
            Layer l = layers.get(ours.get(k));
            List<ParamSpec> specs = l.paramSpecs();
            String[] wn = weightNames.get(k);
            if (wn.length != specs.size()) {
                throw new ModelFormatException(file, "layer '" + weighted.get(k).getName() + "' has " + wn.length + " weights, " + l.kerasClassName() + " " + l.name() + " takes " + specs.size());
            }
            List<float[]> w = new ArrayList<>();
            for (int j = 0; j < wn.length; j++) {
                if (!(weighted.get(k).getByPath(wn[j]) instanceof Dataset d)) throw new ModelFormatException(file, weighted.get(k).getName() + "/" + wn[j] + " is missing");
                w.add(values(file, weighted.get(k).getName() + "/" + wn[j], d, specs.get(j)));
            }
            put(net, ours.get(k), w);
        }
    }

    private static String[] strings(Attribute a) {
        if (a.isEmpty()) return new String[0];
        Object d = a.getData();
        if (d instanceof String[] s) return s;
        if (d instanceof String s) return new String[] {s};
        if (d != null && d.getClass().isArray()) {
            int n = java.lang.reflect.Array.getLength(d);
            String[] r = new String[n];
            for (int i = 0; i < n; i++) {
                Object o = java.lang.reflect.Array.get(d, i);
                r[i] = o instanceof byte[] b ? new String(b, java.nio.charset.StandardCharsets.UTF_8).trim() : String.valueOf(o);
            }
            return r;
        }
        throw new IllegalArgumentException("attribute " + a.getName() + " is not a list of strings (" + (d == null ? "null" : d.getClass().getSimpleName()) + ")");
    }

    private static float[] values(Path file, String where, Dataset d, ParamSpec spec) throws ModelFormatException {
        int[] dims = d.getDimensions();
        int[] want = spec.shape().dims();
        if (!java.util.Arrays.equals(dims, want)) {
            throw new ModelFormatException(file, where + " has shape " + java.util.Arrays.toString(dims) + ", the model's " + spec.name() + " is " + java.util.Arrays.toString(want));
        }
        if (d.getJavaType() != float.class) throw new ModelFormatException(file, where + " holds " + d.getJavaType() + ", expected float32");
        return (float[]) d.getDataFlat();
    }

    private static void put(Network net, int layer, List<float[]> w) {
        MemorySegment p = net.parameters();
        long off = net.plan().paramOffset(layer);
        for (float[] a : w) {
            MemorySegment.copy(a, 0, p, ValueLayout.JAVA_FLOAT, off * 4, a.length);
            off += a.length;
        }
    }
}
