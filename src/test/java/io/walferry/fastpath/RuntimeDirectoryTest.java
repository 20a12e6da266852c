package io.walferry.fastpath;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class RuntimeDirectoryTest {
    @TempDir
    Path tmp;

    @Test
    void aRuntimeDirectoryThatIsNotOursCostsPrefetchItsFifoWithAWarningNotItsWork() throws IOException {
        Path data = Files.createDirectories(tmp.resolve("data"));
        Path shared = Files.createDirectories(tmp.resolve("run"));
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
        Logger logger = (Logger) LoggerFactory.getLogger(RuntimeDirectory.class);
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        logger.addAppender(log);
        try {
            RuntimeDirectory.offerWaitFifo(data, Map.of(RuntimeDirectory.ENV_RUNTIME, shared.toString()));
        } finally {
            logger.detachAppender(log);
        }
        assertThat(log.list).singleElement().satisfies(e -> {
            assertThat(e.getLevel().toString()).isEqualTo("WARN");
            assertThat(e.getFormattedMessage()).startsWith("prefetch: no wait.fifo for the launcher").contains(shared + " is writable by other users");
        });
        assertThat(shared).isEmptyDirectory();

        Path own = tmp.resolve("own");
        RuntimeDirectory.offerWaitFifo(data, Map.of(RuntimeDirectory.ENV_RUNTIME, own.toString()));
        assertThat(RuntimeDirectory.forDataDirectory(data, Map.of(RuntimeDirectory.ENV_RUNTIME, own.toString())).path().resolve("wait.fifo"))
                .exists();
    }
}
