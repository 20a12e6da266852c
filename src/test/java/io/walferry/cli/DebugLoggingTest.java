package io.walferry.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** --debug shows walferry's own debug output, never the HTTP client's, whose headers carry credentials. */
class DebugLoggingTest {
    @Test
    void debugDoesNotPrintHttpHeaders() {
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        int code;
        try {
            // self-test takes the S3 driver through a signed round trip on loopback
            code = Main.run(new String[]{"--debug", "self-test"}, new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()), Map.of());
        } finally {
            System.setErr(original);
        }
        String log = captured.toString(StandardCharsets.UTF_8);
        assertThat(code).as(log).isZero();
        assertThat(log).doesNotContainIgnoringCase("authorization:").doesNotContain("x-amz-security-token")
                .doesNotContain("http-outgoing");
    }
}
