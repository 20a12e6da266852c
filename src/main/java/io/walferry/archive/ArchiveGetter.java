package io.walferry.archive;

import io.walferry.failure.Failure;
import io.walferry.failure.OsReason;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.WalFileName;
import io.walferry.repository.storage.PrivateFiles;
import io.walferry.repository.Repository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Fetches one WAL file for restore_command. It decodes into a temporary file beside the target, verifies it
 * completely, and only then renames it to the name PostgreSQL asked for: PostgreSQL never sees a byte that
 * was not checked. A damaged or unreachable copy makes it try the next repository.
 */
public final class ArchiveGetter {
    private static final Logger LOG = LoggerFactory.getLogger(ArchiveGetter.class);

    /** Writes of this size: with write-through, what replay's own fsyncs may find in the disk's queue. */
    private static final int WRITE_SIZE = 1 << 20;

    private final List<Repository> repositories;
    /** How the temporary file is opened: with O_DSYNC for write-through. */
    private final StandardOpenOption[] openOptions;
    /** The segment size, for handing over a streamed prefix padded to a whole segment; 0: whole segments only. */
    private final long prefixSegmentSize;

    public ArchiveGetter(List<Repository> repositories) {
        this(repositories, false, 0);
    }

    private ArchiveGetter(List<Repository> repositories, boolean writeThrough, long prefixSegmentSize) {
        this.repositories = List.copyOf(repositories);
        this.prefixSegmentSize = prefixSegmentSize;
        this.openOptions = writeThrough
                ? new StandardOpenOption[]{StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, StandardOpenOption.DSYNC}
                : new StandardOpenOption[]{StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE};
    }

    /**
     * For the prefetcher: each megabyte is on disk when its write returns (O_DSYNC), instead of 16 MiB at
     * once when the file is complete. Replay runs meanwhile, and PostgreSQL fsyncs each restored file, its
     * new name and pg_wal in the startup process: behind a 16 MiB burst each of those waits for the whole
     * burst, behind a megabyte for a megabyte; replay was faster so in alternating lab rows (docs/benchmarks.md).
     * The price is a flush per megabyte, in the prefetcher's time: cheap on a virtual or data-centre disk, and
     * still ample on a disk without power-loss protection (docs/benchmarks.md). Not for a fetch PostgreSQL waits
     * for: it would wait for 16 flushes instead of one.
     */
    public static ArchiveGetter writingThrough(List<Repository> repositories) {
        return new ArchiveGetter(repositories, true, 0);
    }

    /**
     * For PostgreSQL's own requests (restore_command): a segment that is not stored whole yet but was streamed in
     * part (docs/streaming.md) is handed over as its stored prefix padded with zeros to {@code segmentSize}. Replay
     * stops where the valid WAL ends and asks again; the bytes handed over never change, later requests only find
     * more of them.
     */
    public static ArchiveGetter withStreamedPrefix(List<Repository> repositories, long segmentSize) {
        return new ArchiveGetter(repositories, false, segmentSize);
    }

    /** As {@link #withStreamedPrefix}, writing through (the prefetcher's answers). */
    public ArchiveGetter handingOverPrefixes(long segmentSize) {
        return new ArchiveGetter(repositories, openOptions.length == 3, segmentSize);
    }

    public enum Outcome { FOUND, NOT_FOUND }

    /**
     * @return FOUND when {@code target} now holds the verified file, NOT_FOUND when no repository has it
     * @throws WalferryException when a repository had a copy but none could be handed over
     */
    public Outcome get(WalFileName name, Path target) {
        List<WalferryException> failures = new ArrayList<>();
        for (Repository r : repositories) {
            int failed = failures.size();
            if (fetch(r, target, out -> r.getWal(name, out), failures)) {
                // A damaged copy elsewhere must not go unnoticed just because another one was good.
                failures.forEach(f -> LOG.warn("{} (used the copy in repository {})", f.oneLine(), r.name()));
                return Outcome.FOUND;
            }
            if (failures.size() > failed) {
                continue;
            }
            // "Not there" counts only from a repository that is really there: an unmounted share
            // looks empty, and a false "not found" would end archive recovery early.
            try {
                if (r.clusterRecord().isEmpty()) {
                    failures.add(WalferryException.repository("repository " + r.describe() + " holds no registration for this cluster",
                            "is it mounted? walferry info shows what each repository holds", null));
                }
            } catch (WalferryException e) {
                failures.add(e);
            }
        }
        if (failures.isEmpty()) {
            return prefixSegmentSize > 0 && name instanceof WalFileName.Segment segment ? getStreamedPrefix(segment, target) : Outcome.NOT_FOUND;
        }
        throw failures.get(0);
    }

    /** The stored prefix of a segment streamed in part, from the first repository that holds one, padded with zeros. */
    public Outcome getStreamedPrefix(WalFileName.Segment segment, Path target) {
        if (prefixSegmentSize <= 0) {
            throw new IllegalStateException("not a getter of streamed prefixes");
        }
        List<WalferryException> failures = new ArrayList<>();
        for (Repository r : repositories) {
            long[] length = {0};
            boolean found = fetch(r, target, out -> {
                length[0] = r.streamPrefix(segment, out, prefixSegmentSize);
                if (length[0] == 0) {
                    return false;
                }
                // zeros where nothing was received yet: PostgreSQL reads them as the end of the WAL for now
                byte[] zeros = new byte[(int) Math.min(WRITE_SIZE, prefixSegmentSize)];
                for (long at = length[0]; at < prefixSegmentSize; at += zeros.length) {
                    out.write(zeros, 0, (int) Math.min(zeros.length, prefixSegmentSize - at));
                }
                return true;
            }, failures);
            if (found) {
                // asked for again every wal_retrieve_retry_interval while it grows: not worth a line in the server log each time
                LOG.debug("{}: not stored whole yet; handed over the {} bytes streamed so far, padded to a segment", segment.fileName(), length[0]);
                return Outcome.FOUND;
            }
        }
        // a piece that cannot be read is reported like a damaged segment: never a clean "not there" over it
        if (failures.isEmpty()) {
            return Outcome.NOT_FOUND;
        }
        throw failures.get(0);
    }

    /** Writes what a repository holds of a file to {@code out}; false when it holds nothing of it. */
    private interface Fill {
        boolean fill(OutputStream out) throws IOException;
    }

    /**
     * Fills a temporary file beside {@code target} and renames it to {@code target} when {@code fill} found the file;
     * a repository's failure is added to {@code failures}, one of the target's is thrown.
     */
    private boolean fetch(Repository r, Path target, Fill fill, List<WalferryException> failures) {
        // A name of its own for every call: the prefetcher may fetch one segment twice at once (a fetch it
        // abandoned is still running), and two writers of one temporary file could publish a mix of both.
        Path temp = tempBeside(target);
        try {
            boolean found;
            // Owner-only, as PostgreSQL's own files: WAL holds every row (the spool's catch-up copies are these too).
            try (FileChannel ch = PrivateFiles.open(temp, openOptions)) {
                OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), WRITE_SIZE);
                found = fill.fill(out);
                out.flush();
                if (found) {
                    // PostgreSQL fsyncs every restored file before it keeps it in pg_wal, in the startup
                    // process, between two records: on disk already, that fsync costs replay nothing.
                    ch.force(true);
                }
            }
            if (found) {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
            return found;
        } catch (WalferryException e) {
            failures.add(e);
            return false;
        } catch (IOException e) {
            throw unwritable(target, e);
        } catch (UncheckedIOException e) {
            throw unwritable(target, e.getCause());
        } finally {
            deleteQuietly(temp);
        }
    }

    /** A temporary name of its own for every call, beside {@code target}. */
    private static Path tempBeside(Path target) {
        return target.resolveSibling("." + target.getFileName() + ".walferry-" + ProcessHandle.current().pid() + "-"
                + Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong() >>> 1) + ".tmp");
    }

    /** The temporary file beside {@code target}, or the target, cannot be written: the error names the OS's reason. */
    private static WalferryException unwritable(Path target, IOException e) {
        return new WalferryException(Failure.FAILED, "cannot write " + target + ": " + OsReason.of(e),
                "archive-get runs as PostgreSQL's OS user: check that it may write " + target.toAbsolutePath().getParent()
                        + " and that there is free space", e);
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // a leftover hidden temp file is harmless; PostgreSQL never reads it
        }
    }
}
