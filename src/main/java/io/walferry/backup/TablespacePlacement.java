package io.walferry.backup;

import io.walferry.failure.WalferryException;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where a restore may put a backup's tablespaces. A manifest names a directory for each, but a repository is
 * input from whoever can write to it: a tablespace is restored only where the user confirmed it, one by one
 * ({@code --tablespace OID=DIR}) or all where the backup recorded them ({@code --tablespaces-as-recorded}).
 *
 * @param given      OID to the directory the user chose
 * @param asRecorded the user confirmed the recorded directory of every tablespace not in {@code given}
 */
public record TablespacePlacement(Map<String, String> given, boolean asRecorded) {
    public static final TablespacePlacement NONE = new TablespacePlacement(Map.of(), false);

    public TablespacePlacement {
        given = Map.copyOf(given);
    }

    /**
     * The directory of every tablespace of {@code m}, for a restore into {@code target}: absolute, normalized,
     * neither inside the target nor holding it, none inside another. Refuses OIDs the backup lacks and
     * tablespaces no one confirmed a place for, naming them with their recorded place.
     */
    Map<String, Path> decide(BackupManifest m, Path target) {
        for (String oid : given.keySet()) {
            if (m.tablespaces().stream().noneMatch(t -> t.oid().equals(oid))) {
                throw WalferryException.config("--tablespace " + oid + ": backup " + m.id() + " has no tablespace " + oid,
                        m.tablespaces().isEmpty() ? "it has no tablespaces: leave --tablespace out" : "its tablespaces: " + recorded(m));
            }
        }
        Map<String, Path> out = new LinkedHashMap<>();
        for (DataDirectoryScan.Tablespace t : m.tablespaces()) {
            String location = given.get(t.oid());
            if (location == null && !asRecorded) {
                throw WalferryException.config("backup " + m.id() + " has tablespaces (" + recorded(m) + ") and no place was confirmed for "
                        + t.oid(), "give --tablespace OID=DIR for each, or --tablespaces-as-recorded to restore them where the backup recorded them");
            }
            String source = location == null ? "the recorded place of tablespace " + t.oid() : "--tablespace " + t.oid() + "=" + location;
            location = location == null ? t.location() : location;
            String problem = ManifestCheck.locationProblem(location);
            if (problem != null) {
                throw WalferryException.config(source + ": " + ManifestCheck.printable(location) + " " + problem, "give an absolute directory");
            }
            Path p = Path.of(location);
            if (p.startsWith(target) || target.startsWith(p)) {
                throw WalferryException.config(source + ": " + p + " is inside the target directory " + target + " or holds it",
                        "give a directory outside it with --tablespace " + t.oid() + "=DIR");
            }
            for (var other : out.entrySet()) {
                if (p.startsWith(other.getValue()) || other.getValue().startsWith(p)) {
                    throw WalferryException.config(source + ": " + p + " overlaps tablespace " + other.getKey() + " at " + other.getValue(),
                            "give every tablespace a directory of its own");
                }
            }
            out.put(t.oid(), p);
        }
        return out;
    }

    private static String recorded(BackupManifest m) {
        StringBuilder b = new StringBuilder();
        for (DataDirectoryScan.Tablespace t : m.tablespaces()) {
            b.append(b.isEmpty() ? "" : ", ").append(t.oid()).append(" recorded at ").append(t.location());
        }
        return b.toString();
    }
}
