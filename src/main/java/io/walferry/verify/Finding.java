package io.walferry.verify;

import java.util.List;

/**
 * One thing verify found wrong in a repository.
 *
 * @param kind       what is wrong
 * @param repository the repository's name
 * @param object     what it concerns: a WAL file name, a range of them ("first..last") for a gap, a backup object
 *                   ("backup/ID/data/base/1/1259@1"), or "cluster.json"
 * @param detail     what was found, for people
 * @param backups    the backups that need it in this repository: one of their files, or WAL from their start to their stop
 */
public record Finding(Kind kind, String repository, String object, String detail, List<String> backups) {
    public Finding {
        backups = List.copyOf(backups);
    }

    public enum Kind {
        /** Stored, but fails its checks: header, CRC, decompression, decryption, checksum, or content. */
        CORRUPT,
        /** Not stored, though a manifest or a timeline needs it. */
        MISSING,
        /** Could not be read (an I/O error, an unreachable repository, a manifest this walferry cannot parse). */
        UNREADABLE,
        /** WAL segments missing from a timeline's chain, between segments that are stored or that a backup needs. */
        GAP;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
