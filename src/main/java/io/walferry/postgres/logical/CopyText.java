package io.walferry.postgres.logical;

import java.util.Arrays;
import java.util.List;

/**
 * Rows in the text format of {@code COPY ... FROM STDIN}: values separated by tabs, a row per line, NULL as {@code \N},
 * and in a value each backslash, newline, carriage return and tab escaped by a backslash, so that the column's input
 * function gets exactly the value's text as the source sent it. The values are UTF-8, whose multi-byte sequences hold
 * no ASCII byte, so escaping works on the bytes. Pure.
 */
public final class CopyText {
    private CopyText() {
    }

    /** The rows: each the parameter values of one change (of one insert shape: every column, in the relation's order). */
    public static byte[] rows(List<ChangeSql.Change> changes) {
        int size = 0;
        for (ChangeSql.Change c : changes) {
            for (byte[] v : c.raw()) {
                size += v == null ? 3 : v.length + 1;
            }
        }
        byte[] out = new byte[size + size / 16 + 16];
        int at = 0;
        for (ChangeSql.Change c : changes) {
            byte[][] values = c.raw();
            for (int i = 0; i < values.length; i++) {
                byte[] v = values[i];
                out = room(out, at, v == null ? 3 : 2 * v.length + 1);
                if (i > 0) {
                    out[at++] = '\t';
                }
                if (v == null) {
                    out[at++] = '\\';
                    out[at++] = 'N';
                    continue;
                }
                for (byte b : v) {
                    switch (b) {
                        case '\\' -> {
                            out[at++] = '\\';
                            out[at++] = '\\';
                        }
                        case '\n' -> {
                            out[at++] = '\\';
                            out[at++] = 'n';
                        }
                        case '\r' -> {
                            out[at++] = '\\';
                            out[at++] = 'r';
                        }
                        case '\t' -> {
                            out[at++] = '\\';
                            out[at++] = 't';
                        }
                        default -> out[at++] = b;
                    }
                }
            }
            out = room(out, at, 1);
            out[at++] = '\n';
        }
        return at == out.length ? out : Arrays.copyOf(out, at);
    }

    private static byte[] room(byte[] out, int at, int more) {
        return at + more <= out.length ? out : Arrays.copyOf(out, Math.max(out.length * 2, at + more));
    }
}
