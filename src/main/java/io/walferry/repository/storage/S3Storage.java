package io.walferry.repository.storage;

import io.walferry.config.S3RepositoryConfig;
import io.walferry.repository.format.BufferPool;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A repository in an S3 bucket. Objects are written by {@link S3Upload} (in memory, then one conditional PUT or
 * multipart upload that never replaces an object) and read by {@link S3Download} (resuming a dropped
 * connection on the same version); every request is retried for a bounded time while it fails for a reason that
 * passes, and any other failure is reported as {@link S3Failures} decides.
 */
public final class S3Storage implements Storage {
    /** Multipart uploads older than this are taken for abandoned by a killed writer and aborted. */
    static final Duration ABANDONED_AFTER = Duration.ofHours(24);

    private final S3Bucket bucket;
    private final BufferPool<byte[]> partPool;

    S3Storage(S3RepositoryConfig config, S3Client client) {
        this.bucket = new S3Bucket(config, client);
        this.partPool = BufferPool.arrays(Math.toIntExact(config.partSize()), 8);
    }

    public static S3Storage connect(S3RepositoryConfig config) {
        return new S3Storage(config, S3ClientFactory.build(config));
    }

    @Override
    public boolean remote() {
        return true;
    }

    @Override
    public String describe() {
        return bucket.describe();
    }

    @Override
    public PendingObject create(String key, int headerSize, ReadBack readBack) {
        return new S3Upload(bucket, key, new PartBuffer(partPool, headerSize));
    }

    @Override
    public Optional<InputStream> open(String key) throws IOException {
        Optional<HeadObjectResponse> head = bucket.head(key);
        if (head.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new S3Download(bucket, key, head.get().eTag(), head.get().contentLength()));
    }

    @Override
    public boolean exists(String key) throws IOException {
        return bucket.head(key).isPresent();
    }

    @Override
    public List<Entry> list(String directoryKey) throws IOException {
        String prefix = bucket.key(directoryKey.isEmpty() ? "" : directoryKey + "/");
        List<Entry> out = new ArrayList<>();
        String token = null;
        do {
            String t = token;
            ListObjectsV2Response page = bucket.call("LIST " + directoryKey, () -> bucket.client().listObjectsV2(ListObjectsV2Request.builder()
                    .bucket(bucket.name()).prefix(prefix).delimiter("/").continuationToken(t).build()));
            for (var p : page.commonPrefixes()) {
                String name = p.prefix().substring(prefix.length());
                out.add(new Entry(name.endsWith("/") ? name.substring(0, name.length() - 1) : name, 0, true, Instant.EPOCH));
            }
            for (S3Object o : page.contents()) {
                out.add(new Entry(o.key().substring(prefix.length()), o.size(), false, o.lastModified() == null ? Instant.EPOCH : o.lastModified()));
            }
            token = Boolean.TRUE.equals(page.isTruncated()) ? page.nextContinuationToken() : null;
        } while (token != null);
        return out;
    }

    @Override
    public void delete(String key) throws IOException {
        bucket.call("DELETE " + key, () -> bucket.client().deleteObject(r -> r.bucket(bucket.name()).key(bucket.key(key))));
    }

    @Override
    public int removeAbandoned(String directoryKey) throws IOException {
        // The trailing '/' keeps cluster "main" from matching the uploads of cluster "main2".
        String prefix = bucket.key(directoryKey.isEmpty() ? "" : directoryKey + "/");
        Instant before = Instant.now().minus(ABANDONED_AFTER);
        int removed = 0;
        for (MultipartUpload u : bucket.uploads("LIST UPLOADS " + directoryKey, prefix)) {
            if (u.initiated() != null && u.initiated().isBefore(before)) {
                bucket.abort(u.key(), u.uploadId());
                removed++;
            }
        }
        return removed;
    }
}
