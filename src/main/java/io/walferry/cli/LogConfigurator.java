package io.walferry.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import ch.qos.logback.core.spi.ContextAwareBase;
import ch.qos.logback.core.status.NopStatusListener;
import org.slf4j.Logger;

import java.io.PrintStream;

/**
 * walferry's logging set-up, in code rather than a logback.xml: every log line to standard error, one pattern.
 * Logback reads an XML configuration through its Joran framework, a large part of a short JVM's start, and the
 * prefetcher's start is one replay waits for; restore_command and archive_command start a JVM often enough for that
 * to count (docs/benchmarks.md). Found by logback's service loader (META-INF/services).
 */
public final class LogConfigurator extends ContextAwareBase implements Configurator {
    static final String PATTERN = "%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level [%thread] %logger{0}: %msg%n";

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        // logback's own status messages (configuration found, appender started) are not walferry's output
        context.getStatusManager().add(new NopStatusListener());
        StderrAppender stderr = new StderrAppender();
        stderr.setContext(context);
        stderr.setName("STDERR");
        stderr.start();
        ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.INFO);
        root.addAppender(stderr);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    /**
     * Writes events to standard error with {@link #PATTERN}. The pattern is compiled at the first event, not at
     * start: most archive-get and archive-push JVMs log nothing, and compiling it is a noticeable part of their start.
     * Calls are serialised by {@link AppenderBase#doAppend}.
     */
    static final class StderrAppender extends AppenderBase<ILoggingEvent> {
        private PatternLayoutEncoder encoder;

        @Override
        protected void append(ILoggingEvent event) {
            if (encoder == null) {
                PatternLayoutEncoder e = new PatternLayoutEncoder();
                e.setContext(getContext());
                e.setPattern(PATTERN);
                e.start();
                encoder = e;
            }
            byte[] line = encoder.encode(event);
            PrintStream err = System.err;
            err.write(line, 0, line.length);
            err.flush();
        }
    }
}
