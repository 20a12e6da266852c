package io.walferry.postgres.logical;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Values as the text of a one-dimensional PostgreSQL array ({@code {"a","b",NULL}}): each element in double quotes with
 * its backslashes and double quotes escaped by a backslash, so that the array's input hands the element's input function
 * exactly the value's text; NULL unquoted. The values are UTF-8, whose multi-byte sequences hold no ASCII byte, so
 * escaping works on the bytes. Pure.
 */
public final class ArrayText {
    private ArrayText() {
    }

    /** @param delimiter the element type's array delimiter ({@code typdelim}: a comma for all but a few types) */
    public static String of(List<byte[]> values, char delimiter) {
        int size = 2;
        for (byte[] v : values) {
            size += v == null ? 5 : v.length + 3;
        }
        byte[] out = new byte[size + size / 8];
        int at = 0;
        out[at++] = '{';
        for (int i = 0; i < values.size(); i++) {
            if (i > 0) {
                out = room(out, at, 1);
                out[at++] = (byte) delimiter;
            }
            byte[] v = values.get(i);
            if (v == null) {
                out = room(out, at, 4);
                out[at++] = 'N';
                out[at++] = 'U';
                out[at++] = 'L';
                out[at++] = 'L';
                continue;
            }
            out = room(out, at, 2 * v.length + 2);
            out[at++] = '"';
            for (byte b : v) {
                if (b == '"' || b == '\\') {
                    out[at++] = '\\';
                }
                out[at++] = b;
            }
            out[at++] = '"';
        }
        out = room(out, at, 1);
        out[at++] = '}';
        return new String(out, 0, at, StandardCharsets.UTF_8);
    }

    private static byte[] room(byte[] out, int at, int more) {
        return at + more <= out.length ? out : Arrays.copyOf(out, Math.max(out.length * 2, at + more));
    }
}
