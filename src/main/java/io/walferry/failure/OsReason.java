package io.walferry.failure;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;

/**
 * What the operating system said about a failed file operation, in a few words for a one-line error. The JDK
 * puts the file's name in the message of its file exceptions and the reason in their class.
 */
public final class OsReason {
    private OsReason() {
    }

    public static String of(IOException e) {
        return switch (e) {
            case AccessDeniedException a -> "permission denied";
            case NoSuchFileException n -> "no such file or directory";
            case FileSystemException f when f.getReason() != null -> lowerFirst(f.getReason());
            case FileSystemException f -> e.toString();
            default -> e.getMessage() == null ? e.toString() : lowerFirst(e.getMessage());
        };
    }

    private static String lowerFirst(String s) {
        return s.isEmpty() ? s : Character.toLowerCase(s.charAt(0)) + s.substring(1);
    }
}
