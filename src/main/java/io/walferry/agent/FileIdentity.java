package io.walferry.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Which file a path named, and in which state: an ack must confirm the very bytes that were pushed, not a
 * file that replaced them meanwhile (a rewound or restored data directory).
 */
record FileIdentity(Object fileKey, long size, long modifiedNanos) {
    static FileIdentity of(Path file) throws IOException {
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
        return new FileIdentity(a.fileKey(), a.size(), a.lastModifiedTime().to(java.util.concurrent.TimeUnit.NANOSECONDS));
    }
}
