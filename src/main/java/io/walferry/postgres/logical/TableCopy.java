package io.walferry.postgres.logical;

import io.walferry.config.LogicalStreamConfig.QualifiedName;
import io.walferry.postgres.Sql;
import org.postgresql.PGConnection;
import org.postgresql.copy.PGCopyOutputStream;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import java.util.function.LongConsumer;
import java.util.stream.Collectors;

/**
 * The initial copy's moves: a source session that reads in the slot's exported snapshot, and COPY of one table, or
 * one range of its pages, from it into the target, in binary where every column's type is built in.
 */
public final class TableCopy {
    /** Bytes handed to the target's COPY in one protocol message. */
    private static final int BUFFER = 1 << 16;

    private TableCopy() {
    }

    /**
     * What to copy: the columns (generated ones are left to the target), and optionally a range of pages, from
     * {@code fromPage} up to but not including {@code toPage} (empty: to the end).
     */
    public record Item(QualifiedName table, List<String> columns, boolean binary, Optional<Long> fromPage, Optional<Long> toPage) {
        public Item {
            columns = List.copyOf(columns);
        }
    }

    /** Makes {@code c} read in the exported snapshot from now on (one transaction, read-only, until {@link #endSnapshot}). */
    public static void useSnapshot(Connection c, String snapshot) throws SQLException {
        Sql.run(c, "begin isolation level repeatable read read only");
        Sql.run(c, "set transaction snapshot " + Sql.literal(snapshot));
    }

    public static void endSnapshot(Connection c) throws SQLException {
        Sql.run(c, "commit");
    }

    /**
     * A target session for the copy: its commits need not wait for the disk, because create records the copy complete
     * in a commit that does, and that flushes every earlier one.
     */
    public static void prepareTarget(Connection c) throws SQLException {
        Sql.run(c, "set synchronous_commit = off");
    }

    /** Copies the item from {@code source} (in the snapshot) into {@code target} in one target transaction; returns the bytes moved. */
    public static long copy(Connection source, Connection target, Item item, LongConsumer progress) throws SQLException {
        String columns = item.columns().stream().map(Identifiers::quote).collect(Collectors.joining(", "));
        String format = item.binary() ? " (format binary)" : "";
        String from;
        if (item.fromPage().isEmpty() && item.toPage().isEmpty()) {
            from = Identifiers.quote(item.table()) + " (" + columns + ")";
        } else {
            String where = item.fromPage().map(p -> "ctid >= '(" + p + ",0)'::tid").orElse("true")
                    + item.toPage().map(p -> " and ctid < '(" + p + ",0)'::tid").orElse("");
            from = "(select " + columns + " from " + Identifiers.quote(item.table()) + " where " + where + ")";
        }
        PGCopyOutputStream in = new PGCopyOutputStream(target.unwrap(PGConnection.class),
                "copy " + Identifiers.quote(item.table()) + " (" + columns + ") from stdin" + format, BUFFER);
        Counting counted = new Counting(in, progress);
        try {
            source.unwrap(PGConnection.class).getCopyAPI().copyOut("copy " + from + " to stdout" + format, counted);
            counted.flush();
            in.endCopy();
            return counted.bytes;
        } catch (IOException | SQLException | RuntimeException e) {
            // Ending the COPY would commit what arrived so far: cancel it, so that the item is copied whole or not at all.
            if (in.isActive()) {
                try {
                    in.cancelCopy();
                } catch (SQLException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e instanceof SQLException s ? s : new SQLException("copy of " + item.table() + " failed: " + e.getMessage(), e);
        }
    }

    /** Passes bytes on and tells how many went by. */
    private static final class Counting extends FilterOutputStream {
        private final LongConsumer progress;
        private long bytes;

        Counting(OutputStream out, LongConsumer progress) {
            super(out);
            this.progress = progress;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            bytes += len;
            progress.accept(len);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            bytes++;
            progress.accept(1);
        }
    }
}
