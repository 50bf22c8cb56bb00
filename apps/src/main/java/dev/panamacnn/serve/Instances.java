package dev.panamacnn.serve;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.JsonFactory;
import dev.panamacnn.tensor.Shape;

import java.io.IOException;
import java.util.Arrays;

/**
 * Reads TensorFlow Serving's row format, {@code {"instances": [x0, x1, ...]}}, where each instance is an array of
 * the model's input shape ({@code 28 x 28}, {@code 28 x 28 x 1}; a trailing channel of 1 may be left out, or the
 * instance given flat). Streamed with Jackson's parser, so a wrong shape stops at the first bad number, naming the
 * place ({@code instances[2][27]}); at most {@code maxInstances} instances.
 */
final class Instances {
    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(16).maxNumberLength(64).build()).build();

    private Instances() {}

    record Parsed(float[] x, int n) {}

    static Parsed parse(byte[] body, Shape input, int maxInstances) {
        int per = input.size();
        float[] x = new float[Math.min(maxInstances, 64) * per];
        int n = 0;
        try (JsonParser p = JSON.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) throw bad("expected a JSON object {\"instances\": [...]}");
            boolean found = false;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken t = p.nextToken();
                if (!field.equals("instances")) { p.skipChildren(); continue; }
                found = true;
                if (t != JsonToken.START_ARRAY) throw bad("instances: expected an array of instances");
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    if (n == maxInstances) throw bad("instances: more than " + maxInstances + " instances in one request");
                    if ((n + 1) * per > x.length) x = Arrays.copyOf(x, Math.min(maxInstances * per, x.length * 2));
                    int[] count = {0};
                    readInstance(p, "instances[" + n + "]", input, x, n * per, count);
                    if (count[0] != per) throw bad("instances[" + n + "]: expected " + shapeText(input) + " numbers (" + per + "), got " + count[0]);
                    n++;
                }
            }
            if (!found) throw bad("expected a field \"instances\" (TensorFlow Serving's row format)");
            if (n == 0) throw bad("instances: the list is empty");
        } catch (RequestException e) {
            throw e;
        } catch (IOException e) {
            if (e instanceof com.fasterxml.jackson.core.JsonProcessingException j) {
                String m = j.getOriginalMessage().replaceAll("\\s*\\(start marker at \\[Source.*", "").replaceAll("\\s+", " ");
                throw bad("malformed JSON at character " + (j.getLocation() == null ? "?" : j.getLocation().getCharOffset()) + ": " + m);
            }
            throw bad("malformed JSON: " + e.getMessage());
        }
        return new Parsed(x, n);
    }

    /**
     * One instance, flat or nested as the input shape (the trailing channel of 1 may be left out); its numbers go to
     * {@code x} from {@code at}, {@code count[0]} counts them. Every array's length is checked against its dimension.
     */
    private static void readInstance(JsonParser p, String where, Shape input, float[] x, int at, int[] count) throws IOException {
        if (p.currentToken() != JsonToken.START_ARRAY) throw bad(where + ": expected an array of shape " + shapeText(input));
        readArray(p, where, 0, input.dims(), x, at, count);
    }

    private static void readArray(JsonParser p, String where, int depth, int[] dims, float[] x, int at, int[] count) throws IOException {
        int per = 1;
        for (int d : dims) per *= d;
        int len = 0;
        Boolean numbers = null;
        for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
            String here = where + "[" + len + "]";
            boolean isNumber = t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT;
            if (!isNumber && t != JsonToken.START_ARRAY) throw bad(here + ": expected a number or an array, got " + t.asString());
            if (numbers != null && numbers != isNumber) throw bad(here + ": numbers and arrays mixed at one level");
            numbers = isNumber;
            if (isNumber) {
                if (count[0] >= per) throw bad(here + ": more numbers than an instance of shape " + shapeText(dims) + " holds");
                float v = p.getFloatValue();
                if (!Float.isFinite(v)) throw bad(here + ": " + v + " is not a finite number");
                x[at + count[0]++] = v;
            } else {
                if (depth + 1 >= dims.length) throw bad(here + ": nested deeper than the shape " + shapeText(dims));
                readArray(p, here, depth + 1, dims, x, at, count);
            }
            len++;
        }
        int rank = dims.length;
        boolean ok;
        if (numbers == null || !numbers) {
            ok = len == dims[depth];   // an outer level: one entry per row of this dimension
        } else {
            ok = (depth == 0 && len == per) || (depth == rank - 1 && len == dims[rank - 1])
                    || (rank >= 2 && dims[rank - 1] == 1 && depth == rank - 2 && len == dims[rank - 2]);
        }
        if (!ok) throw bad(where + ": has " + len + " entries; an instance of shape " + shapeText(dims) + " has " + dims[Math.min(depth, rank - 1)] + " here");
    }

    static String shapeText(int[] d) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < d.length; i++) b.append(i == 0 ? "" : " x ").append(d[i]);
        return b.toString();
    }

    static String shapeText(Shape s) { return shapeText(s.dims()); }

    private static RequestException bad(String m) { return new RequestException(400, m); }

}
