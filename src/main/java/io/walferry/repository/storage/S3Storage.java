package io.walferry.repository.storage;

import io.walferry.repository.format.BufferPool;
import io.walferry.repository.format.BulkInputStream;

import io.walferry.config.S3RepositoryConfig;
import io.walferry.failure.WalferryException;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;

import java.io.IOException;
import java.io.InputStream;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A repository in an S3 bucket. An object is held in memory while it is written (the header comes last),
 * then uploaded in one PUT or, above the part size, as a multipart upload; either is made visible by a
 * conditional request ({@code If-None-Match: *}), so an existing object is never replaced and a reader never
 * sees a partial one. Every body goes with its CRC-32C (or Content-MD5), which the server checks before it acknowledges:
 * that is this driver's verification that what is stored is what was written. Transient failures are
 * retried for a bounded time ({@link TransientRetry}).
 */
public final class S3Storage implements Storage {
    /** Multipart uploads older than this are taken for abandoned by a killed writer and aborted. */
    static final Duration ABANDONED_AFTER = Duration.ofHours(24);
    private static final Set<String> TRANSIENT_CODES = Set.of("SlowDown", "RequestTimeout", "InternalError",
            "ServiceUnavailable", "BadDigest", "ConditionalRequestConflict", "OperationAborted", "RequestTimeTooSkewed");

    private final S3RepositoryConfig config;
    private final S3Client client;
    private final String base;
    private final TransientRetry retry;
    private final BufferPool<byte[]> partPool;

    S3Storage(S3RepositoryConfig config, S3Client client) {
        this.config = config;
        this.client = client;
        this.base = config.prefix().isEmpty() ? "" : config.prefix() + "/";
        this.partPool = BufferPool.arrays(Math.toIntExact(config.partSize()), 8);
        this.retry = new TransientRetry(config.retryTimeout(), Duration.ofMillis(100), Duration.ofSeconds(10), S3Storage::isTransient);
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
        return "s3://" + config.bucket() + (config.prefix().isEmpty() ? "" : "/" + config.prefix())
                + config.endpoint().map(e -> " at " + e).orElse("");
    }

    private String s3Key(String key) {
        return base + key;
    }

    // ---- reading -----------------------------------------------------------------------------------------

    @Override
    public Optional<InputStream> open(String key) throws IOException {
        Optional<HeadObjectResponse> head = head(key);
        if (head.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new ResumingObjectStream(key, head.get().eTag(), head.get().contentLength()));
    }

    @Override
    public boolean exists(String key) throws IOException {
        return head(key).isPresent();
    }

    private Optional<HeadObjectResponse> head(String key) throws IOException {
        return call("HEAD " + key, () -> {
            try {
                return Optional.of(client.headObject(r -> r.bucket(config.bucket()).key(s3Key(key))));
            } catch (NoSuchKeyException e) {
                return Optional.empty();
            } catch (AwsServiceException e) {
                if (e.statusCode() == 404 && !"NoSuchBucket".equals(code(e))) {
                    return Optional.empty();
                }
                throw e;
            }
        });
    }

    @Override
    public List<Entry> list(String directoryKey) throws IOException {
        String prefix = s3Key(directoryKey.isEmpty() ? "" : directoryKey + "/");
        List<Entry> out = new ArrayList<>();
        String token = null;
        do {
            String t = token;
            ListObjectsV2Response page = call("LIST " + directoryKey, () -> client.listObjectsV2(ListObjectsV2Request.builder()
                    .bucket(config.bucket()).prefix(prefix).delimiter("/").continuationToken(t).build()));
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
        call("DELETE " + key, () -> client.deleteObject(r -> r.bucket(config.bucket()).key(s3Key(key))));
    }

    @Override
    public int removeAbandoned(String directoryKey) throws IOException {
        // The trailing '/' keeps cluster "main" from matching the uploads of cluster "main2".
        String prefix = s3Key(directoryKey.isEmpty() ? "" : directoryKey + "/");
        Instant before = Instant.now().minus(ABANDONED_AFTER);
        int removed = 0;
        List<MultipartUpload> uploads = call("LIST UPLOADS " + directoryKey,
                () -> client.listMultipartUploads(r -> r.bucket(config.bucket()).prefix(prefix)).uploads());
        for (MultipartUpload u : uploads) {
            if (u.initiated() != null && u.initiated().isBefore(before)) {
                abort(u.key(), u.uploadId());
                removed++;
            }
        }
        return removed;
    }

    // ---- writing -----------------------------------------------------------------------------------------

    @Override
    public PendingObject create(String key, int headerSize, ReadBack readBack) {
        return new S3Pending(key, new PartBuffer(partPool, headerSize));
    }

    private final class S3Pending implements PendingObject {
        private final String key;
        private final PartBuffer buffer;
        private boolean finished;

        S3Pending(String key, PartBuffer buffer) {
            this.key = key;
            this.buffer = buffer;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            buffer.write(b, off, len);
        }

        @Override
        public void finish(java.nio.ByteBuffer header) {
            buffer.putHeader(header);
            finished = true;
        }

        @Override
        public InputStream readBack() {
            // The server checks each body against its Content-MD5 before acknowledging it, so the bytes
            // checked here are the bytes stored.
            return buffer.read();
        }

        @Override
        public CommitOutcome commitIfAbsent() throws IOException {
            if (!finished) {
                throw new IllegalStateException("commit before finish");
            }
            List<PartBuffer.ByteSlice> parts = buffer.uploadParts();
            return parts.size() == 1 ? putWhole(key, parts.get(0)) : putInParts(key, parts);
        }

        @Override
        public void close() {
            // Nothing was sent that a reader could see (an unfinished upload is aborted where it fails);
            // the memory goes back for the next object.
            buffer.release();
        }
    }

    private boolean crc32c() {
        return config.uploadChecksum() == S3RepositoryConfig.UploadChecksum.CRC32C;
    }

    private CommitOutcome putWhole(String key, PartBuffer.ByteSlice body) throws IOException {
        PutObjectRequest.Builder req = PutObjectRequest.builder().bucket(config.bucket()).key(s3Key(key))
                .contentLength(body.length()).ifNoneMatch("*");
        String crc = crc32c() ? crc32c(body) : null;
        if (crc32c()) {
            req.checksumCRC32C(crc);
        } else {
            req.contentMD5(md5(body));
        }
        config.storageClass().ifPresent(req::storageClass);
        sse(req);
        PutObjectRequest request = req.build();
        return call("PUT " + key, () -> {
            try {
                PutObjectResponse r = client.putObject(request, requestBody(body));
                confirmed("PUT " + key, crc, r.checksumCRC32C());
                return CommitOutcome.CREATED;
            } catch (AwsServiceException e) {
                if (e.statusCode() == 412) {
                    return CommitOutcome.ALREADY_EXISTS;
                }
                throw e;
            }
        });
    }

    private CommitOutcome putInParts(String key, List<PartBuffer.ByteSlice> parts) throws IOException {
        CreateMultipartUploadRequest.Builder create = CreateMultipartUploadRequest.builder().bucket(config.bucket()).key(s3Key(key));
        if (crc32c()) {
            create.checksumAlgorithm(ChecksumAlgorithm.CRC32_C);
        }
        config.storageClass().ifPresent(create::storageClass);
        if (config.sse() == S3RepositoryConfig.ServerSideEncryption.AES256) {
            create.serverSideEncryption(ServerSideEncryption.AES256);
        } else if (config.sse() == S3RepositoryConfig.ServerSideEncryption.KMS) {
            create.serverSideEncryption(ServerSideEncryption.AWS_KMS);
            config.kmsKeyId().ifPresent(create::ssekmsKeyId);
        }
        CreateMultipartUploadRequest createRequest = create.build();
        String uploadId = call("START UPLOAD " + key, () -> client.createMultipartUpload(createRequest).uploadId());
        boolean completed = false;
        try {
            List<CompletedPart> done = new ArrayList<>();
            for (int i = 0; i < parts.size(); i++) {
                PartBuffer.ByteSlice part = parts.get(i);
                int number = i + 1;
                String md5 = crc32c() ? null : md5(part);
                String crc = crc32c() ? crc32c(part) : null;
                String what = "PUT PART " + number + " of " + key;
                String etag = call(what, () -> {
                    UploadPartResponse r = client.uploadPart(b -> b.bucket(config.bucket()).key(s3Key(key)).uploadId(uploadId)
                            .partNumber(number).contentLength(part.length()).contentMD5(md5).checksumCRC32C(crc), requestBody(part));
                    confirmed(what, crc, r.checksumCRC32C());
                    return r.eTag();
                });
                done.add(CompletedPart.builder().partNumber(number).eTag(etag).checksumCRC32C(crc).build());
            }
            CommitOutcome outcome = call("COMPLETE UPLOAD " + key, () -> {
                try {
                    client.completeMultipartUpload(r -> r.bucket(config.bucket()).key(s3Key(key)).uploadId(uploadId)
                            .ifNoneMatch("*").multipartUpload(m -> m.parts(done)));
                    return CommitOutcome.CREATED;
                } catch (AwsServiceException e) {
                    if (e.statusCode() == 412) {
                        return CommitOutcome.ALREADY_EXISTS;
                    }
                    // An earlier attempt completed it and only its answer was lost: the object is there.
                    if ("NoSuchUpload".equals(code(e)) && head(key).isPresent()) {
                        return CommitOutcome.ALREADY_EXISTS;
                    }
                    throw e;
                }
            });
            completed = outcome == CommitOutcome.CREATED;
            abortOthers(key, uploadId);
            return outcome;
        } finally {
            if (!completed) {
                abortQuietly(key, uploadId);
            }
        }
    }

    /**
     * Aborts the other unfinished uploads of a key that now exists: a start whose answer was lost and was
     * retried leaves one behind, and none of them could ever complete (If-None-Match), so none is of use.
     */
    private void abortOthers(String key, String uploadId) {
        try {
            List<MultipartUpload> uploads = call("LIST UPLOADS " + key,
                    () -> client.listMultipartUploads(r -> r.bucket(config.bucket()).prefix(s3Key(key))).uploads());
            for (MultipartUpload u : uploads) {
                if (u.key().equals(s3Key(key)) && !u.uploadId().equals(uploadId)) {
                    abort(u.key(), u.uploadId());
                }
            }
        } catch (IOException | RuntimeException e) {
            // Left for removeAbandoned (or the bucket's lifecycle rule): an unfinished upload is invisible.
        }
    }

    private void abortQuietly(String key, String uploadId) {
        try {
            abort(s3Key(key), uploadId);
        } catch (IOException | RuntimeException e) {
            // Left for removeAbandoned (or the bucket's lifecycle rule): an unfinished upload is invisible.
        }
    }

    private void abort(String s3Key, String uploadId) throws IOException {
        call("ABORT UPLOAD " + s3Key, () -> {
            try {
                return client.abortMultipartUpload(r -> r.bucket(config.bucket()).key(s3Key).uploadId(uploadId));
            } catch (AwsServiceException e) {
                if ("NoSuchUpload".equals(code(e))) {
                    return null;
                }
                throw e;
            }
        });
    }

    private void sse(PutObjectRequest.Builder req) {
        if (config.sse() == S3RepositoryConfig.ServerSideEncryption.AES256) {
            req.serverSideEncryption(ServerSideEncryption.AES256);
        } else if (config.sse() == S3RepositoryConfig.ServerSideEncryption.KMS) {
            req.serverSideEncryption(ServerSideEncryption.AWS_KMS);
            config.kmsKeyId().ifPresent(req::ssekmsKeyId);
        }
    }

    private static RequestBody requestBody(PartBuffer.ByteSlice slice) {
        // A fresh stream per attempt, so that a retry resends the same bytes without copying them.
        ContentStreamProvider provider = slice::stream;
        return RequestBody.fromContentProvider(provider, slice.length(), "application/octet-stream");
    }

    /**
     * A server that checked the CRC-32C we sent answers with it; one that answers without it did not check,
     * and its acknowledgement proves nothing about the bytes it stored.
     */
    private void confirmed(String what, String sent, String answered) {
        if (sent != null && !sent.equals(answered)) {
            throw WalferryException.repository("repository " + config.name() + " (" + describe() + "): the store did not confirm the CRC-32C of "
                    + what + " (answered " + answered + ")", "this store does not check x-amz-checksum-crc32c: set upload_checksum: md5", null);
        }
    }

    private static String crc32c(PartBuffer.ByteSlice slice) {
        CRC32C crc = new CRC32C();
        long left = slice.length();
        for (byte[] a : slice.arrays()) {
            int n = (int) Math.min(a.length, left);
            crc.update(a, 0, n);
            left -= n;
        }
        return Base64.getEncoder().encodeToString(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    private static String md5(PartBuffer.ByteSlice slice) throws IOException {
        try {
            MessageDigest md = MessageDigest.getInstance("MD5");
            long left = slice.length();
            for (byte[] a : slice.arrays()) {
                int n = (int) Math.min(a.length, left);
                md.update(a, 0, n);
                left -= n;
            }
            return Base64.getEncoder().encodeToString(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IOException("MD5 is not available in this JVM", e);
        }
    }

    // ---- failures ----------------------------------------------------------------------------------------

    private <T> T call(String what, TransientRetry.Call<T> call) throws IOException {
        return retry.run(what, () -> {
            try {
                return call.run();
            } catch (SdkException e) {
                throw translate(what, e);
            }
        });
    }

    /** Failures that pass: answers that say "try again", and the network failing underneath. */
    static boolean isTransient(Throwable t) {
        if (t instanceof WalferryException) {
            return false;
        }
        if (t instanceof TransientS3Failure || t instanceof java.io.UncheckedIOException) {
            // The SDK reports a connection that broke while it read an answer as an unchecked I/O error.
            return true;
        }
        return t instanceof IOException && !(t instanceof java.io.InterruptedIOException);
    }

    /** An SDK failure as this driver reports it: transient ones to be retried, the rest in one clear line. */
    private RuntimeException translate(String what, SdkException e) {
        if (e instanceof AwsServiceException s) {
            String code = code(s);
            int status = s.statusCode();
            if ((status >= 500 && status != 501) || status == 429 || status == 408 || TRANSIENT_CODES.contains(code)) {
                return new TransientS3Failure(what + ": HTTP " + status + (code.isEmpty() ? "" : " " + code), e);
            }
            String where = "repository " + config.name() + " (" + describe() + ")";
            if (status == 403 || "AccessDenied".equals(code)) {
                if (Set.of("InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken").contains(code)) {
                    return WalferryException.config(where + ": the credentials were refused (" + code + ") on " + what,
                            "check credentials.access_key_id and secret_access_key, the profile or the role in the configuration");
                }
                return WalferryException.config(where + ": access denied on " + what + " (" + code + ")",
                        "grant these credentials the S3 permissions listed in docs/cross-account.md");
            }
            if ("NoSuchBucket".equals(code)) {
                return WalferryException.config(where + ": bucket " + config.bucket() + " does not exist",
                        "create the bucket (walferry does not create buckets), or correct bucket/endpoint/region");
            }
            if (status == 501 || "NotImplemented".equals(code)) {
                return WalferryException.repository(where + ": the store does not implement " + what + " (" + code + ")",
                        "walferry needs conditional writes (If-None-Match) so that it never overwrites an object: "
                                + "use a store that supports them (AWS S3, R2, MinIO, Ceph, S3Proxy 3+)", e);
            }
            if ("PermanentRedirect".equals(code) || "AuthorizationHeaderMalformed".equals(code) || status == 301) {
                return WalferryException.config(where + ": the bucket is in another region (" + code + ")",
                        "set region to the bucket's region");
            }
            return WalferryException.repository(where + ": " + what + " failed: HTTP " + status + " " + code
                    + (s.awsErrorDetails() != null && s.awsErrorDetails().errorMessage() != null ? " (" + s.awsErrorDetails().errorMessage() + ")" : ""),
                    "check the repository settings and the store's logs", e);
        }
        Throwable root = rootCause(e);
        String where = "repository " + config.name() + " (" + describe() + ")";
        if (causedBy(e, java.security.cert.CertificateException.class) || causedBy(e, java.security.GeneralSecurityException.class)) {
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
        return WalferryException.repository(where + ": " + what + " failed: " + TransientRetry.describe(e),
                "check the repository settings", e);
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

    private static String code(AwsServiceException e) {
        return e.awsErrorDetails() == null || e.awsErrorDetails().errorCode() == null ? "" : e.awsErrorDetails().errorCode();
    }

    /** A failure that may pass on a later attempt. */
    static final class TransientS3Failure extends RuntimeException {
        TransientS3Failure(String message, Throwable cause) {
            super(message, cause);
        }
    }

    // ---- a download that survives a dropped connection ---------------------------------------------------

    /**
     * Reads an object, resuming from the current offset with a ranged GET when the connection fails, and
     * only from the same version of the object (If-Match on its ETag).
     */
    private final class ResumingObjectStream extends BulkInputStream {
        private final String key;
        private final String etag;
        private final long length;
        private InputStream current;
        private long position;

        ResumingObjectStream(String key, String etag, long length) {
            this.key = key;
            this.etag = etag;
            this.length = length;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (position >= length) {
                return -1;
            }
            return retry.run("GET " + key + " at byte " + position, () -> {
                if (current == null) {
                    current = openAt(position);
                }
                try {
                    int n = current.read(b, off, len);
                    if (n < 0) {
                        // The server ended the body early: resume rather than take it for the end.
                        throw new java.io.EOFException("connection closed at byte " + position + " of " + length);
                    }
                    position += n;
                    return n;
                } catch (IOException e) {
                    closeCurrent();
                    throw e;
                }
            });
        }

        private InputStream openAt(long from) throws IOException {
            try {
                GetObjectRequest.Builder req = GetObjectRequest.builder().bucket(config.bucket()).key(s3Key(key));
                if (etag != null) {
                    req.ifMatch(etag);
                }
                if (from > 0) {
                    req.range("bytes=" + from + "-");
                }
                return client.getObject(req.build());
            } catch (AwsServiceException e) {
                if (e.statusCode() == 412) {
                    throw WalferryException.repository("repository " + config.name() + ": " + key + " changed while it was read",
                            "objects are written once; find out what replaced it", e);
                }
                throw translate("GET " + key, e);
            } catch (SdkException e) {
                throw translate("GET " + key, e);
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
            if (current != null && current instanceof software.amazon.awssdk.core.ResponseInputStream<?> r) {
                r.abort();
            }
            closeCurrent();
        }
    }
}
