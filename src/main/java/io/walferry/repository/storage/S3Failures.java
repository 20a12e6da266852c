package io.walferry.repository.storage;

import io.walferry.failure.WalferryException;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.net.UnknownHostException;
import java.security.GeneralSecurityException;
import java.util.Set;

/**
 * What a failed S3 request means to walferry, decided from the failure alone: one that may pass is retried
 * ({@link TransientS3Failure}); any other becomes one line of a typed failure that names the repository and the request, and
 * says what to fix: the configuration (credentials, permissions, bucket, region, TLS trust) or the store.
 */
final class S3Failures {
    /** Answers that say "try again", whatever their status. */
    private static final Set<String> TRANSIENT_CODES = Set.of("SlowDown", "RequestTimeout", "InternalError",
            "ServiceUnavailable", "BadDigest", "ConditionalRequestConflict", "OperationAborted", "RequestTimeTooSkewed");
    private static final Set<String> REFUSED_CREDENTIALS = Set.of("InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken",
            "InvalidToken");

    private final String repository;
    private final String where;
    private final String bucket;

    /** @param location where the repository is, safe to print ({@link Storage#describe()}) */
    S3Failures(String repository, String location, String bucket) {
        this.repository = repository;
        this.where = "repository " + repository + " (" + location + ")";
        this.bucket = bucket;
    }

    /** A failure that may pass on a later attempt. */
    static final class TransientS3Failure extends RuntimeException {
        TransientS3Failure(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Failures that pass: answers that say "try again", and the network failing underneath. */
    static boolean isTransient(Throwable t) {
        if (t instanceof WalferryException) {
            return false;
        }
        if (t instanceof TransientS3Failure || t instanceof UncheckedIOException) {
            // The SDK reports a connection that broke while it read an answer as an unchecked I/O error.
            return true;
        }
        return t instanceof IOException && !(t instanceof InterruptedIOException);
    }

    /** The error code of an answer ("NoSuchKey", "SlowDown", ...); "" when it has none. */
    static String code(AwsServiceException e) {
        return e.awsErrorDetails() == null || e.awsErrorDetails().errorCode() == null ? "" : e.awsErrorDetails().errorCode();
    }

    /** The object is not there; a missing bucket is a configuration error, not a missing object. */
    static boolean noSuchObject(AwsServiceException e) {
        return e instanceof NoSuchKeyException || (e.statusCode() == 404 && !"NoSuchBucket".equals(code(e)));
    }

    /** A conditional request found its condition false: an object exists already (If-None-Match), or changed (If-Match). */
    static boolean preconditionFailed(AwsServiceException e) {
        return e.statusCode() == 412;
    }

    /** The multipart upload is not there (any more): completed or aborted. */
    static boolean noSuchUpload(AwsServiceException e) {
        return "NoSuchUpload".equals(code(e));
    }

    /** An SDK failure of request {@code what}: a {@link TransientS3Failure} to retry, or a one-line typed failure. */
    RuntimeException translate(String what, SdkException e) {
        return e instanceof AwsServiceException s ? answer(what, s) : noAnswer(what, e);
    }

    /** The store answered with an error. */
    private RuntimeException answer(String what, AwsServiceException e) {
        String code = code(e);
        int status = e.statusCode();
        if ((status >= 500 && status != 501) || status == 429 || status == 408 || TRANSIENT_CODES.contains(code)) {
            return new TransientS3Failure(what + ": HTTP " + status + (code.isEmpty() ? "" : " " + code), e);
        }
        if (status == 403 || "AccessDenied".equals(code)) {
            if (REFUSED_CREDENTIALS.contains(code)) {
                return WalferryException.config(where + ": the credentials were refused (" + code + ") on " + what,
                        "check credentials.access_key_id and secret_access_key, the profile or the role in the configuration");
            }
            return WalferryException.config(where + ": access denied on " + what + " (" + code + ")",
                    "grant these credentials the S3 permissions listed in docs/cross-account.md");
        }
        if ("NoSuchBucket".equals(code)) {
            return WalferryException.config(where + ": bucket " + bucket + " does not exist",
                    "create the bucket (walferry does not create buckets), or correct bucket/endpoint/region");
        }
        if (status == 501 || "NotImplemented".equals(code)) {
            return WalferryException.repository(where + ": the store does not implement " + what + " (" + code + ")",
                    "walferry needs conditional writes (If-None-Match) so that it never overwrites an object: "
                            + "use a store that supports them (AWS S3, R2, MinIO, Ceph, S3Proxy 3+)", e);
        }
        if ("PermanentRedirect".equals(code) || "AuthorizationHeaderMalformed".equals(code) || status == 301) {
            return WalferryException.config(where + ": the bucket is in another region (" + code + ")", "set region to the bucket's region");
        }
        String message = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorMessage();
        return WalferryException.repository(where + ": " + what + " failed: HTTP " + status + " " + code
                + (message != null ? " (" + message + ")" : ""), "check the repository settings and the store's logs", e);
    }

    /** No answer: the client failed before or instead of one (trust, name resolution, credentials, the network). */
    private RuntimeException noAnswer(String what, SdkException e) {
        Throwable root = rootCause(e);
        if (causedBy(e, GeneralSecurityException.class)) {
            return WalferryException.config(where + ": the TLS certificate of the endpoint is not trusted (" + root.getMessage() + ")",
                    "set ca_file to the PEM file of the CA that signed it");
        }
        if (root instanceof UnknownHostException) {
            return WalferryException.config(where + ": cannot resolve host " + root.getMessage(), "check endpoint and region");
        }
        if (e instanceof SdkClientException && e.getMessage() != null && e.getMessage().contains("Unable to load credentials")) {
            return WalferryException.config(where + ": no AWS credentials found",
                    "set credentials (access_key_id / secret_access_key through ${env:..} or ${file:..}, a profile, or a role) "
                            + "or run where the standard AWS chain has them");
        }
        if (e instanceof ApiCallAttemptTimeoutException || root instanceof IOException) {
            return new TransientS3Failure(what + ": " + TransientRetry.describe(root), e);
        }
        if (e.getMessage() != null && e.getMessage().contains("AssumeRole")) {
            return WalferryException.config(where + ": cannot assume the configured role: " + e.getMessage(),
                    "check credentials.role_arn, external_id and the role's trust policy (docs/cross-account.md)");
        }
        return WalferryException.repository(where + ": " + what + " failed: " + TransientRetry.describe(e), "check the repository settings", e);
    }

    /** A server that did not confirm the CRC-32C sent with {@code what} did not check it: its acknowledgement proves nothing. */
    WalferryException unconfirmedChecksum(String what, String answered) {
        return WalferryException.repository(where + ": the store did not confirm the CRC-32C of " + what + " (answered " + answered + ")",
                "this store does not check x-amz-checksum-crc32c: set upload_checksum: md5", null);
    }

    /** The object at {@code key} is another version than the one a read began with. */
    WalferryException changedWhileRead(String key, Throwable cause) {
        return WalferryException.repository("repository " + repository + ": " + key + " changed while it was read",
                "objects are written once; find out what replaced it", cause);
    }

    private static boolean causedBy(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
        }
        return false;
    }

    private static Throwable rootCause(Throwable t) {
        Throwable r = t;
        for (int i = 0; i < 20 && r.getCause() != null && r.getCause() != r; i++) {
            r = r.getCause();
        }
        return r;
    }
}
