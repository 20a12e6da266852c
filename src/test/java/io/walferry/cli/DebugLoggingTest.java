package io.walferry.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import io.walferry.archive.SelfTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * --debug shows walferry's own debug output, never the HTTP client's or the AWS SDK's, whose debug lines carry the
 * signed request headers (and a session token's, where there is one). The control proves the test can fail: the same
 * S3 round trip with their loggers at DEBUG prints those headers.
 */
class DebugLoggingTest {
    /** A header every signed S3 request carries, and the SDK's signer prints at DEBUG. */
    private static final String SIGNED_HEADER = "x-amz-content-sha256";
    private static final String[] THEIRS = {"org.apache.http", "software.amazon.awssdk"};

    /** What a call wrote to standard error, where walferry logs. */
    private static <T> String stderrOf(Callable<T> call) throws Exception {
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            call.call();
        } finally {
            System.setErr(original);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }

    @Test
    void debugPrintsWalferrysOwnLinesButNoRequestHeaders() throws Exception {
        int[] code = new int[1];
        String log = stderrOf(() -> code[0] = Main.run(new String[]{"--debug", "self-test"}, new PrintWriter(new StringWriter()),
                new PrintWriter(new StringWriter()), Map.of()));
        assertThat(code[0]).as(log).isZero();
        // self-test takes the S3 driver through a signed round trip on loopback; walferry says so at DEBUG
        assertThat(log).contains("DEBUG").contains("SelfTest: self-test: s3 driver round trip");
        assertThat(log).doesNotContain(SIGNED_HEADER).doesNotContain("aws4_request").doesNotContainIgnoringCase("authorization:")
                .doesNotContain("x-amz-security-token").doesNotContain("http-outgoing");
    }

    @Test
    void controlWithTheirLoggersAtDebugTheSameRoundTripPrintsTheHeaders(@TempDir Path scratch) throws Exception {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        Level rootBefore = root.getLevel();
        try {
            root.setLevel(Level.DEBUG);
            for (String name : THEIRS) {
                ((Logger) LoggerFactory.getLogger(name)).setLevel(Level.DEBUG);
            }
            String log = stderrOf(() -> SelfTest.run(scratch));
            assertThat(log).contains(SIGNED_HEADER).contains("aws4_request");
        } finally {
            root.setLevel(rootBefore);
            for (String name : THEIRS) {
                ((Logger) LoggerFactory.getLogger(name)).setLevel(null);
            }
        }
    }
}
