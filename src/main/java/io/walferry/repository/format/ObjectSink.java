package io.walferry.repository.format;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Where an object's bytes go while it is written: the payload in order, then a header of the size reserved
 * when the sink was made, which lands in front of the payload. The header comes last because it describes
 * the payload (sizes, checksums) and a writer streams the payload without holding it.
 */
public interface ObjectSink {
    void write(byte[] b, int off, int len) throws IOException;

    /** Writes the header in front of the payload and makes the whole object durable. */
    void finish(ByteBuffer header) throws IOException;
}
