package io.walferry.verify;

import io.walferry.backup.BackupManifest;
import io.walferry.postgres.WalFileName;
import io.walferry.repository.RepositoryLayout;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Decides, from what was read of a repository, what is wrong in it and which backups that breaks. A backup needs
 * its manifest, every chunk its manifest lists (each carrying the checksum the manifest records), its
 * backup_label, the WAL from its start_wal to its stop_wal on its timeline, and that timeline's history file;
 * a timeline's WAL must have no gaps ({@link WalChain}).
 */
final class VerifyRules {
    private VerifyRules() {
    }

    static RepositoryResult judge(RepositoryScan scan) {
        String repo = scan.repository();
        long segmentSize = scan.segmentSize();
        List<Finding> findings = new ArrayList<>();
        List<WalChain.Needed> needed = needed(scan);
        Set<Integer> historyStored = new TreeSet<>();
        for (WalFileName name : scan.wal().keySet()) {
            if (name instanceof WalFileName.History h) {
                historyStored.add(h.timeline());
            }
        }
        scan.wal().forEach((name, check) -> {
            if (!check.good()) {
                findings.add(new Finding(check.kind(), repo, name.fileName(), check.detail(), needing(name, needed, segmentSize)));
            }
        });
        Set<Integer> timelines = new TreeSet<>(stored(scan).keySet());
        needed.forEach(n -> timelines.add(n.timeline()));
        for (int tli : timelines) {
            if (tli > 1 && !historyStored.contains(tli)) {
                WalFileName history = history(tli);
                findings.add(new Finding(Finding.Kind.MISSING, repo, history.fileName(), "timeline " + tli
                        + " has WAL but no history file: a recovery cannot follow it onto this timeline", needing(history, needed, segmentSize)));
            }
        }
        List<WalChain.Gap> gaps = gaps(scan);
        for (WalChain.Gap g : gaps) {
            long n = g.to() - g.from() + 1;
            findings.add(new Finding(Finding.Kind.GAP, repo, gapName(g, segmentSize), (n == 1 ? "1 segment" : n + " segments")
                    + " of timeline " + g.timeline() + " missing: a recovery cannot replay past them",
                    needed.stream().filter(g::overlaps).map(WalChain.Needed::backup).distinct().toList()));
        }

        List<BackupStatus> statuses = new ArrayList<>();
        for (BackupScan b : scan.backups()) {
            statuses.add(judgeBackup(repo, b, scan, findings));
        }
        scan.aux().forEach(a -> judgeAux(repo, a, findings));
        scan.pieces().forEach((key, check) -> {
            if (!check.good()) {
                findings.add(new Finding(check.kind(), repo, key, check.detail(), List.of()));
            }
        });
        findings.sort(Comparator.comparing(Finding::object).thenComparing(Finding::kind));
        long walObjects = scan.wal().size();
        return new RepositoryResult(repo, scan.required(), walObjects, scan.backupObjects(), scan.auxObjects(), scan.storedBytes(), findings,
                statuses);
    }

    /** Adds the findings of an aux directory: bad manifests and objects, and objects a manifest names that are not stored. */
    private static void judgeAux(String repo, AuxDirectoryScan a, List<Finding> findings) {
        a.manifests().forEach((key, c) -> {
            if (!c.good()) {
                findings.add(new Finding(c.kind(), repo, key, c.detail() + " (a pull cannot follow it; the next push on the primary "
                        + "writes a new manifest)", List.of()));
            }
        });
        a.objects().forEach((key, c) -> {
            if (!c.good()) {
                findings.add(new Finding(c.kind(), repo, key, c.detail() + " (a pull cannot use it: move it aside, then run walferry aux sync "
                        + "--push --recheck on the primary)", List.of()));
            }
        });
        a.named().forEach((key, manifests) -> {
            if (!a.objects().containsKey(key)) {
                findings.add(new Finding(Finding.Kind.MISSING, repo, key, "aux directory " + a.name() + ": manifest " + String.join(", ", manifests)
                        + " lists it, but it is not stored (run walferry aux sync --push --recheck on the primary)", List.of()));
            }
        });
    }

    /** Adds the findings of one backup's own objects and says what it lacks. */
    private static BackupStatus judgeBackup(String repo, BackupScan b, RepositoryScan scan, List<Finding> findings) {
        List<String> problems = new ArrayList<>();
        List<String> self = List.of(b.id());
        if (!b.manifestCheck().good() || b.manifest().isEmpty()) {
            ObjectCheck c = b.manifestCheck();
            findings.add(new Finding(c.good() ? Finding.Kind.UNREADABLE : c.kind(), repo, b.object(RepositoryLayout.MANIFEST),
                    c.detail() == null ? "cannot be read" : c.detail(), self));
            problems.add(b.object(RepositoryLayout.MANIFEST));
            // without a manifest nothing says what the backup needs: only its objects' own checks remain
            b.objects().forEach((key, check) -> {
                if (!check.good()) {
                    findings.add(new Finding(check.kind(), repo, b.object(key), check.detail(), self));
                }
            });
            return new BackupStatus(b.id(), problems);
        }
        BackupManifest m = b.manifest().get();
        Map<String, String> expected = new TreeMap<>();
        for (BackupManifest.FileEntry f : m.files()) {
            for (int i = 0; i < f.chunkChecksums().size(); i++) {
                expected.put(RepositoryLayout.chunk(f.path(), i), f.chunkChecksums().get(i));
            }
        }
        expected.put(RepositoryLayout.BACKUP_LABEL, null);
        expected.forEach((key, checksum) -> {
            ObjectCheck c = b.objects().get(key);
            Finding f = null;
            if (c == null) {
                f = new Finding(Finding.Kind.MISSING, repo, b.object(key), key.equals(RepositoryLayout.BACKUP_LABEL)
                        ? "the backup's label is not stored: a restore cannot start from it" : "the manifest lists it, but it is not stored", self);
            } else if (!c.good()) {
                f = new Finding(c.kind(), repo, b.object(key), c.detail(), self);
            } else if (checksum != null && !checksum.equals(c.checksum())) {
                f = new Finding(Finding.Kind.CORRUPT, repo, b.object(key), "is not the object the manifest records (" + c.checksum()
                        + ", expected " + checksum + ")", self);
            }
            if (f != null) {
                findings.add(f);
                problems.add(f.object());
            }
        });
        b.objects().forEach((key, check) -> {
            if (!expected.containsKey(key) && !check.good()) {
                findings.add(new Finding(check.kind(), repo, b.object(key), check.detail(), self));
            }
        });
        Optional<WalChain.Needed> range = walRange(m, scan.segmentSize());
        if (range.isEmpty()) {
            findings.add(new Finding(Finding.Kind.UNREADABLE, repo, b.object(RepositoryLayout.MANIFEST), "its WAL range " + m.startWal() + ".."
                    + m.stopWal() + " is not two segments of timeline " + m.timeline(), self));
            problems.add(b.object(RepositoryLayout.MANIFEST));
        } else {
            WalChain.Needed n = range.get();
            for (long segno = n.from(); segno <= n.to(); segno++) {
                WalFileName.Segment s = WalFileName.Segment.of(n.timeline(), segno, scan.segmentSize());
                ObjectCheck c = scan.wal().get(s);
                if (c == null || !c.good()) { // a segment not stored is in a gap: the chain reaches over every backup's range
                    problems.add(s.fileName());
                }
            }
            if (n.timeline() > 1) {
                ObjectCheck c = scan.wal().get(history(n.timeline()));
                if (c == null || !c.good()) {
                    problems.add(history(n.timeline()).fileName());
                }
            }
        }
        return new BackupStatus(b.id(), problems);
    }

    /** The segments missing from the repository's timelines ({@link WalChain}). */
    static List<WalChain.Gap> gaps(RepositoryScan scan) {
        return WalChain.gaps(stored(scan), scan.histories(), needed(scan), scan.segmentSize());
    }

    /** The stored segments' numbers, by timeline, good or not: a damaged segment is reported as such, not as a gap. */
    private static Map<Integer, TreeSet<Long>> stored(RepositoryScan scan) {
        TreeMap<Integer, TreeSet<Long>> stored = new TreeMap<>();
        for (WalFileName name : scan.wal().keySet()) {
            if (name instanceof WalFileName.Segment s) {
                stored.computeIfAbsent(s.timeline(), k -> new TreeSet<>()).add(s.segmentNumber(scan.segmentSize()));
            }
        }
        return stored;
    }

    /** Every backup's WAL range that its manifest gives. */
    private static List<WalChain.Needed> needed(RepositoryScan scan) {
        List<WalChain.Needed> needed = new ArrayList<>();
        for (BackupScan b : scan.backups()) {
            b.manifest().flatMap(m -> walRange(m, scan.segmentSize())).ifPresent(needed::add);
        }
        return needed;
    }

    /** A backup's WAL from start_wal to stop_wal, or empty when the manifest's names are not that. */
    static Optional<WalChain.Needed> walRange(BackupManifest m, long segmentSize) {
        try {
            if (WalFileName.parse(m.startWal()) instanceof WalFileName.Segment start
                    && WalFileName.parse(m.stopWal()) instanceof WalFileName.Segment stop
                    && start.timeline() == m.timeline() && stop.timeline() == m.timeline()
                    && start.segmentNumber(segmentSize) <= stop.segmentNumber(segmentSize)) {
                return Optional.of(new WalChain.Needed(m.timeline(), start.segmentNumber(segmentSize), stop.segmentNumber(segmentSize), m.id()));
            }
        } catch (IllegalArgumentException e) {
            // not WAL file names
        }
        return Optional.empty();
    }

    /** The backups that need a WAL file: a segment in their range, or their timeline's history file. */
    private static List<String> needing(WalFileName name, List<WalChain.Needed> needed, long segmentSize) {
        return needed.stream().filter(n -> n.covers(name, segmentSize)).map(WalChain.Needed::backup).distinct().toList();
    }

    static WalFileName.History history(int timeline) {
        return (WalFileName.History) WalFileName.parse("%08X.history".formatted(timeline));
    }

    /** "first" for one segment, "first..last" for more. */
    static String gapName(WalChain.Gap g, long segmentSize) {
        String first = WalFileName.Segment.of(g.timeline(), g.from(), segmentSize).fileName();
        return g.from() == g.to() ? first : first + ".." + WalFileName.Segment.of(g.timeline(), g.to(), segmentSize).fileName();
    }
}
