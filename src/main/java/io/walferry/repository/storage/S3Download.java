package io.walferry.repository.storage;

import io.walferry.repository.format.BulkInputStream;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * Reads one object of an S3 repository, resuming from the current offset with a ranged GET when the connection
 * fails, and only from the same version of the object (If-Match on its ETag).
 */
final class S3Download extends BulkInputStream {
    private final S3Bucket bucket;
    private final String key;
    private final String etag;
    private final long length;
    private InputStream current;
    private long position;

    /** @param etag the version to read, from the object's HEAD; null for whichever is there */
    S3Download(S3Bucket bucket, String key, String etag, long length) {
        this.bucket = bucket;
        this.key = key;
        this.etag = etag;
        this.length = length;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (position >= length) {
            return -1;
        }
        return bucket.retry().run("GET " + key + " at byte " + position, () -> {
            if (current == null) {
                current = openAt(position);
            }
            try {
                int n = current.read(b, off, len);
                if (n < 0) {
                    // The server ended the body early: resume rather than take it for the end.
                    throw new EOFException("connection closed at byte " + position + " of " + length);
                }
                position += n;
                return n;
            } catch (IOException e) {
                closeCurrent();
                throw e;
            }
        });
    }

    private InputStream openAt(long from) {
        try {
            GetObjectRequest.Builder req = GetObjectRequest.builder().bucket(bucket.name()).key(bucket.key(key));
            if (etag != null) {
                req.ifMatch(etag);
            }
            if (from > 0) {
                req.range("bytes=" + from + "-");
            }
            return bucket.client().getObject(req.build());
        } catch (AwsServiceException e) {
            if (S3Failures.preconditionFailed(e)) {
                throw bucket.failures().changedWhileRead(key, e);
            }
            throw bucket.failures().translate("GET " + key, e);
        } catch (SdkException e) {
            throw bucket.failures().translate("GET " + key, e);
        }
    }

    private void closeCurrent() {
        if (current != null) {
            try {
                current.close();
            } catch (IOException ignored) {
                // a broken connection; a new one is opened
            }
            current = null;
        }
    }

    @Override
    public void close() {
        if (current instanceof ResponseInputStream<?> r) {
            r.abort();
        }
        closeCurrent();
    }
}
