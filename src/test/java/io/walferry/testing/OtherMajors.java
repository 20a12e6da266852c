package io.walferry.testing;

import io.walferry.demo.EmbeddedPostgres;

import java.nio.file.Path;

/**
 * Server programs of PostgreSQL majors the machine does not have installed: the embedded binaries the demo uses (Zonky's,
 * from Maven Central, checked against its SHA-1), downloaded once into a cache every test run shares.
 */
public final class OtherMajors {
    public static final String POSTGRES_17 = "17.12.0";
    private static final Path CACHE = Path.of(System.getProperty("java.io.tmpdir"), "walferry-test-postgres");

    private OtherMajors() {
    }

    /** The bin directory of PostgreSQL 17. */
    public static synchronized Path postgres17() {
        Path bin = EmbeddedPostgres.obtain(CACHE, POSTGRES_17, line -> System.err.println("[test] " + line)).directory();
        ServerUser.makeTraversable(bin);
        return bin;
    }
}
