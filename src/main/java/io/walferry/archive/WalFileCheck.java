package io.walferry.archive;

import io.walferry.failure.WalferryException;
import io.walferry.postgres.ClusterIdentity;
import io.walferry.postgres.TimelineHistory;
import io.walferry.postgres.WalFileName;
import io.walferry.postgres.WalSegmentCheck;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Checks a file before it is archived: that it is what its name says and belongs to the repository's
 * cluster. Segments are checked by their first page header; timeline history and backup history files by
 * their text.
 */
public final class WalFileCheck {
    private static final int MAX_TEXT_FILE = 1 << 20;

    private WalFileCheck() {
    }

    public static void verify(Path file, WalFileName name, ClusterIdentity cluster) {
        Optional<String> problem;
        try {
            problem = switch (name) {
                case WalFileName.Segment s -> segmentProblem(file, s, cluster);
                case WalFileName.Partial p -> segmentProblem(file, p.segment(), cluster);
                case WalFileName.History h -> historyProblem(file, h);
                case WalFileName.BackupHistory b -> backupProblem(file);
            };
        } catch (NoSuchFileException e) {
            throw WalferryException.config("WAL file " + file + " does not exist",
                    "archive_command must pass %p, the path PostgreSQL gives, e.g. archive_command = 'walferry archive-push %p'");
        } catch (IOException e) {
            throw WalferryException.config("cannot read WAL file " + file + ": " + e.getMessage(),
                    "run archive-push as the PostgreSQL server's OS user");
        }
        problem.ifPresent(p -> {
            throw WalferryException.refused(name.fileName() + " is refused: it " + p,
                    "archive only WAL of the cluster registered in the repository (walferry info shows it)");
        });
    }

    private static Optional<String> segmentProblem(Path file, WalFileName.Segment name, ClusterIdentity cluster) throws IOException {
        try (FileChannel c = FileChannel.open(file)) {
            ByteBuffer page = ByteBuffer.allocate(8192);
            while (page.hasRemaining() && c.read(page) > 0) {
                // fill the first page
            }
            page.flip();
            return WalSegmentCheck.problem(name, c.size(), page, cluster);
        }
    }

    private static Optional<String> historyProblem(Path file, WalFileName.History name) throws IOException {
        Optional<String> text = readText(file);
        if (text.isEmpty()) {
            return Optional.of("is not a text file");
        }
        if (name.timeline() < 2) {
            return Optional.of("names timeline " + name.timeline() + ", but history files start at timeline 2");
        }
        TimelineHistory history;
        try {
            history = TimelineHistory.parse(name.timeline(), text.get());
        } catch (IllegalArgumentException e) {
            return Optional.of("has " + e.getMessage());
        }
        int lastTli = 0;
        for (TimelineHistory.Entry e : history.entries()) {
            if (e.timeline() <= lastTli || e.timeline() >= name.timeline()) {
                return Optional.of("lists timeline " + e.timeline() + " out of order for timeline " + name.timeline());
            }
            lastTli = e.timeline();
        }
        return lastTli == 0 ? Optional.of("lists no parent timeline") : Optional.empty();
    }

    /** The parsed history of a file that {@link #verify} accepted. */
    public static TimelineHistory history(Path file, WalFileName.History name) {
        try {
            return TimelineHistory.parse(name.timeline(), Files.readString(file));
        } catch (IOException | IllegalArgumentException e) {
            throw WalferryException.config("cannot read timeline history file " + file + ": " + e.getMessage(),
                    "run archive-push as the PostgreSQL server's OS user");
        }
    }

    private static Optional<String> backupProblem(Path file) throws IOException {
        Optional<String> text = readText(file);
        if (text.isEmpty()) {
            return Optional.of("is not a text file");
        }
        return text.get().contains("START WAL LOCATION:") ? Optional.empty()
                : Optional.of("has no START WAL LOCATION line: it is not a backup history file");
    }

    private static Optional<String> readText(Path file) throws IOException {
        if (Files.size(file) > MAX_TEXT_FILE) {
            return Optional.empty();
        }
        try {
            return Optional.of(StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(Files.readAllBytes(file))).toString());
        } catch (CharacterCodingException e) {
            return Optional.empty();
        }
    }
}
