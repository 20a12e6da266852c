package io.walferry.cli;

import ch.qos.logback.classic.LoggerContext;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class LogConfiguratorTest {
    @Test
    void writesOneLinePerEventToStandardErrorInThePattern() {
        LoggerContext context = new LoggerContext();
        new LogConfigurator().configure(context);
        PrintStream saved = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try {
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            org.slf4j.Logger log = context.getLogger("io.walferry.archive.Prefetcher");
            log.debug("not at INFO");
            log.info("prefetch: started at {}", "000000010000000000000002");
            log.warn("second");
        } finally {
            System.setErr(saved);
            context.stop();
        }
        String[] lines = captured.toString(StandardCharsets.UTF_8).split("\n");
        assertThat(lines).hasSize(2);
        assertThat(lines[0]).matches("\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}\\.\\d{3} INFO  \\[main\\] Prefetcher: prefetch: started at 000000010000000000000002");
        assertThat(lines[1]).endsWith("WARN  [main] Prefetcher: second");
    }
}
