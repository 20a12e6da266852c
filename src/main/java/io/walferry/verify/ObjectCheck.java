package io.walferry.verify;

/**
 * What reading one stored object gave.
 *
 * @param checksum the checksum its header carries ("xxh64:..."), for a good object; else null
 * @param detail   what is wrong, for a bad one; else null
 */
public record ObjectCheck(State state, String checksum, String detail) {
    public enum State { GOOD, CORRUPT, UNREADABLE }

    public static ObjectCheck good(String checksum) {
        return new ObjectCheck(State.GOOD, checksum, null);
    }

    public static ObjectCheck corrupt(String detail) {
        return new ObjectCheck(State.CORRUPT, null, detail);
    }

    public static ObjectCheck unreadable(String detail) {
        return new ObjectCheck(State.UNREADABLE, null, detail);
    }

    public boolean good() {
        return state == State.GOOD;
    }

    /** The kind of finding a bad object is. */
    Finding.Kind kind() {
        return state == State.CORRUPT ? Finding.Kind.CORRUPT : Finding.Kind.UNREADABLE;
    }
}
