package io.walferry.repository.storage;

import io.walferry.config.S3RepositoryConfig;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.MultipartUpload;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * An S3 repository's bucket as its reads and writes reach it: keys below the configured prefix, and every
 * request retried for a bounded time while it fails for a reason that passes ({@link TransientRetry}), then
 * reported as {@link S3Failures} decides.
 */
final class S3Bucket {
    private final S3RepositoryConfig config;
    private final S3Client client;
    private final String base;
    private final TransientRetry retry;
    private final S3Failures failures;

    S3Bucket(S3RepositoryConfig config, S3Client client) {
        this.config = config;
        this.client = client;
        this.base = config.prefix().isEmpty() ? "" : config.prefix() + "/";
        this.retry = new TransientRetry(config.retryTimeout(), Duration.ofMillis(100), Duration.ofSeconds(10), S3Failures::isTransient);
        this.failures = new S3Failures(config.name(), describe(), config.bucket());
    }

    /** Where the repository is, safe to print (no credentials). */
    String describe() {
        return "s3://" + config.bucket() + (config.prefix().isEmpty() ? "" : "/" + config.prefix())
                + config.endpoint().map(e -> " at " + e).orElse("");
    }

    S3RepositoryConfig config() {
        return config;
    }

    S3Client client() {
        return client;
    }

    String name() {
        return config.bucket();
    }

    S3Failures failures() {
        return failures;
    }

    TransientRetry retry() {
        return retry;
    }

    /** The S3 key of a storage key: below the configured prefix. */
    String key(String key) {
        return base + key;
    }

    /** Runs request {@code what}, retrying while it fails for a reason that passes; other failures as {@link S3Failures} says. */
    <T> T call(String what, TransientRetry.Call<T> call) throws IOException {
        return retry.run(what, () -> {
            try {
                return call.run();
            } catch (SdkException e) {
                throw failures.translate(what, e);
            }
        });
    }

    /** The object's metadata, or empty if there is no object at {@code key}. */
    Optional<HeadObjectResponse> head(String key) throws IOException {
        return call("HEAD " + key, () -> {
            try {
                return Optional.of(client.headObject(r -> r.bucket(name()).key(key(key))));
            } catch (AwsServiceException e) {
                if (S3Failures.noSuchObject(e)) {
                    return Optional.empty();
                }
                throw e;
            }
        });
    }

    /** The unfinished multipart uploads of the S3 keys that start with {@code s3Prefix}. */
    List<MultipartUpload> uploads(String what, String s3Prefix) throws IOException {
        return call(what, () -> client.listMultipartUploads(r -> r.bucket(name()).prefix(s3Prefix)).uploads());
    }

    /** Aborts an unfinished upload; one that is gone already counts as aborted. */
    void abort(String s3Key, String uploadId) throws IOException {
        call("ABORT UPLOAD " + s3Key, () -> {
            try {
                return client.abortMultipartUpload(r -> r.bucket(name()).key(s3Key).uploadId(uploadId));
            } catch (AwsServiceException e) {
                if (S3Failures.noSuchUpload(e)) {
                    return null;
                }
                throw e;
            }
        });
    }
}
