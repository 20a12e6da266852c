package io.walferry.repository.storage;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class FileObjectWriterTest {
    @TempDir
    Path tmp;

    @ParameterizedTest(name = "direct={0} payload={1}")
    @CsvSource({
            "true,0", "true,1", "true,4024", "true,4025", "true,8120", "true,4194304", "true,4198400", "true,4198328",
            "true,9999999", "true,4536", "true,4194744", "true,16239544", "false,0", "false,4025", "false,9999999"})
    void headerLandsInFrontOfTheExactPayloadInBothModes(boolean direct, int payloadSize) throws Exception {
        byte[] payload = new byte[payloadSize];
        new Random(payloadSize).nextBytes(payload);
        byte[] header = new byte[72];
        new Random(7).nextBytes(header);
        Path file = tmp.resolve("obj");
        FileObjectWriter w = FileObjectWriter.create(file, header.length, direct, AlignedOutput.blockSize(file.getParent()));
        assertThat(w.direct()).isEqualTo(direct);
        // Uneven pieces, as a compressor hands them over.
        Random cut = new Random(1);
        for (int off = 0; off < payload.length; ) {
            int n = Math.min(payload.length - off, 1 + cut.nextInt(1 << 20));
            w.write(payload, off, n);
            off += n;
        }
        w.finish(ByteBuffer.wrap(header));
        byte[] expected = new byte[header.length + payload.length];
        System.arraycopy(header, 0, expected, 0, header.length);
        System.arraycopy(payload, 0, expected, header.length, payload.length);
        try (InputStream back = w.readBack()) {
            assertThat(back.readAllBytes()).isEqualTo(expected);
        }
        w.close();
        assertThat(Files.readAllBytes(file)).isEqualTo(expected);
    }

    /** Buffer alignment varies with where the JVM allocates: many writers make sure both cases occur. */
    @org.junit.jupiter.api.Test
    void everyWriterGivesTheExactBytesWhateverItsBufferAlignment() throws Exception {
        byte[] payload = new byte[12345];
        new Random(3).nextBytes(payload);
        byte[] header = new byte[72];
        for (int i = 0; i < 3000; i++) {
            Path file = tmp.resolve("w" + i);
            FileObjectWriter w = FileObjectWriter.create(file, header.length, true, AlignedOutput.blockSize(file.getParent()));
            w.write(payload, 0, payload.length);
            w.finish(ByteBuffer.wrap(header));
            w.close();
            byte[] stored = Files.readAllBytes(file);
            assertThat(stored.length).isEqualTo(header.length + payload.length);
            assertThat(java.util.Arrays.mismatch(stored, header.length, stored.length, payload, 0, payload.length))
                    .as("writer " + i).isEqualTo(-1);
            Files.delete(file);
        }
    }
}
