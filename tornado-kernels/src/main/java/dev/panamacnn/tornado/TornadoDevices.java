package dev.panamacnn.tornado;

import dev.panamacnn.exec.BackendFactory;
import uk.ac.manchester.tornado.api.TornadoBackend;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.TornadoDeviceType;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** TornadoVM's devices, named as TornadoVM names them: {@code driver:device}, e.g. {@code 0:0}. */
public final class TornadoDevices {
    private TornadoDevices() {}

    /** Every device of every TornadoVM driver (OpenCL, PTX, ...), with its id. */
    public static List<BackendFactory.Device> list() {
        List<BackendFactory.Device> r = new ArrayList<>();
        List<TornadoBackend> drivers = TornadoExecutionPlan.getTornadoDeviceMap().getAllBackends();
        for (int d = 0; d < drivers.size(); d++) {
            TornadoBackend b = drivers.get(d);
            for (int i = 0; i < b.getNumDevices(); i++) {
                TornadoDevice dev = b.getDevice(i);
                r.add(new BackendFactory.Device(d + ":" + i, describe(dev), dev.getDeviceType() == TornadoDeviceType.GPU));
            }
        }
        return r;
    }

    /** e.g. {@code NVIDIA H200 (GPU, OpenCL, 141 GB)}. */
    public static String describe(TornadoDevice d) {
        return String.format(Locale.ROOT, "%s (%s, %s, %.1f GB)", d.getPhysicalDevice().getDeviceName().trim(), d.getDeviceType(),
                d.getTornadoVMBackend(), d.getMaxGlobalMemory() / 1e9);
    }

    /**
     * The device {@code id} ({@code driver:device}); null: the first GPU, else TornadoVM's default device.
     *
     * @throws IllegalArgumentException naming the id and the devices there are
     */
    public static TornadoDevice pick(String id) {
        List<BackendFactory.Device> all = list();
        if (all.isEmpty()) throw new IllegalArgumentException("TornadoVM sees no device (tornado --devices lists what its drivers find)");
        String chosen = id;
        if (chosen == null) {
            chosen = all.stream().filter(BackendFactory.Device::gpu).map(BackendFactory.Device::id).findFirst().orElse(all.get(0).id());
        }
        String[] p = chosen.split(":");
        int driver, device;
        try {
            if (p.length != 2) throw new NumberFormatException();
            driver = Integer.parseInt(p[0].trim());
            device = Integer.parseInt(p[1].trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--device " + id + ": a TornadoVM device is driver:device, e.g. 0:0; there are " + ids(all));
        }
        String want = driver + ":" + device;
        if (all.stream().noneMatch(d -> d.id().equals(want))) {
            throw new IllegalArgumentException("--device " + id + ": no such TornadoVM device; there are " + ids(all));
        }
        return TornadoExecutionPlan.getDevice(driver, device);
    }

    private static String ids(List<BackendFactory.Device> all) {
        List<String> s = new ArrayList<>();
        for (BackendFactory.Device d : all) s.add(d.id() + " " + d.description());
        return String.join(", ", s);
    }
}
