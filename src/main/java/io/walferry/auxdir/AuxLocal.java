package io.walferry.auxdir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * An aux directory as it is on this node: its content ({@link AuxScan}) with every file's hash that was asked for,
 * from the {@link AuxIndex} where the file did not change since, else hashed now (and remembered).
 *
 * @param content     what it holds; a file not hashed (not asked for) has no sha256
 * @param skipped     what was not taken, and why
 * @param unstable    files that changed while they were hashed: left for the next scan
 * @param temporaries temporary files of an interrupted pull
 */
record AuxLocal(AuxContent content, List<AuxSync.Skipped> skipped, Set<String> unstable,
                List<Path> temporaries) {

    /** Reads {@code root}, hashing the files {@code needHash} asks for; updates {@code index} (not saved). */
    static AuxLocal read(Path root, AuxIndex index, Predicate<AuxScan.Stat> needHash) throws IOException {
        AuxScan.Scanned scanned = AuxScan.scan(root);
        List<AuxContent.File> files = new ArrayList<>();
        Set<String> unstable = new HashSet<>();
        for (AuxScan.Stat s : scanned.files()) {
            Optional<AuxContent.File> known = index.known(s);
            if (known.isPresent()) {
                files.add(known.get());
            } else if (needHash.test(s)) {
                long at = System.currentTimeMillis() * 1_000_000L;
                Optional<AuxContent.File> hashed = AuxHasher.hash(root, s);
                if (hashed.isPresent()) {
                    files.add(hashed.get());
                    index.putHashed(s, hashed.get(), at);
                } else {
                    unstable.add(s.path());
                    index.forget(s.path());
                }
            } else {
                files.add(new AuxContent.File(s.path(), s.size(), s.mode(), null, null));
            }
        }
        index.retain(scanned.files().stream().map(AuxScan.Stat::path).collect(Collectors.toSet()));
        return new AuxLocal(new AuxContent(scanned.directories(), files, scanned.links()), scanned.skipped(), unstable,
                scanned.temporaries());
    }
}
