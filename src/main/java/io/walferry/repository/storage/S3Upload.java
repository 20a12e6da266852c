package io.walferry.repository.storage;

import io.walferry.config.S3RepositoryConfig;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * One object being written to an S3 repository: held in memory as the parts it will be uploaded in (the header
 * comes last), then uploaded in one PUT or, above the part size, as a multipart upload. Either is made visible by
 * a conditional request ({@code If-None-Match: *}), so an existing object is never replaced and a reader never
 * sees a partial one. Every body goes with its CRC-32C (or Content-MD5), which the server checks before it
 * acknowledges: that is this driver's verification that what is stored is what was written.
 */
final class S3Upload implements Storage.PendingObject {
    private final S3Bucket bucket;
    private final S3RepositoryConfig config;
    private final String key;
    private final PartBuffer buffer;
    private boolean finished;

    S3Upload(S3Bucket bucket, String key, PartBuffer buffer) {
        this.bucket = bucket;
        this.config = bucket.config();
        this.key = key;
        this.buffer = buffer;
    }

    @Override
    public void write(byte[] b, int off, int len) {
        buffer.write(b, off, len);
    }

    @Override
    public void finish(ByteBuffer header) {
        buffer.putHeader(header);
        finished = true;
    }

    @Override
    public InputStream readBack() {
        // The server checks each body against its checksum before acknowledging it, so the bytes checked here
        // are the bytes stored.
        return buffer.read();
    }

    @Override
    public Storage.CommitOutcome commitIfAbsent() throws IOException {
        if (!finished) {
            throw new IllegalStateException("commit before finish");
        }
        List<PartBuffer.ByteSlice> parts = buffer.uploadParts();
        return parts.size() == 1 ? putWhole(parts.get(0)) : putInParts(parts);
    }

    @Override
    public void close() {
        // Nothing was sent that a reader could see (an unfinished upload is aborted where it fails);
        // the memory goes back for the next object.
        buffer.release();
    }

    private boolean crc32c() {
        return config.uploadChecksum() == S3RepositoryConfig.UploadChecksum.CRC32C;
    }

    /** The server-side encryption to ask for; null for the bucket's default. */
    private ServerSideEncryption sse() {
        return switch (config.sse()) {
            case AES256 -> ServerSideEncryption.AES256;
            case KMS -> ServerSideEncryption.AWS_KMS;
            case NONE -> null;
        };
    }

    /** The KMS key to encrypt with; null for the account's default key, or no KMS encryption. */
    private String kmsKeyId() {
        return config.sse() == S3RepositoryConfig.ServerSideEncryption.KMS ? config.kmsKeyId().orElse(null) : null;
    }

    private Storage.CommitOutcome putWhole(PartBuffer.ByteSlice body) throws IOException {
        PutObjectRequest.Builder req = PutObjectRequest.builder().bucket(bucket.name()).key(bucket.key(key))
                .contentLength(body.length()).ifNoneMatch("*");
        String crc = crc32c() ? body.crc32c() : null;
        if (crc32c()) {
            req.checksumCRC32C(crc);
        } else {
            req.contentMD5(body.md5());
        }
        PutObjectRequest request = req.storageClass(config.storageClass().orElse(null)).serverSideEncryption(sse())
                .ssekmsKeyId(kmsKeyId()).build();
        return bucket.call("PUT " + key, () -> {
            try {
                PutObjectResponse r = bucket.client().putObject(request, requestBody(body));
                confirmed("PUT " + key, crc, r.checksumCRC32C());
                return Storage.CommitOutcome.CREATED;
            } catch (AwsServiceException e) {
                if (S3Failures.preconditionFailed(e)) {
                    return Storage.CommitOutcome.ALREADY_EXISTS;
                }
                throw e;
            }
        });
    }

    private Storage.CommitOutcome putInParts(List<PartBuffer.ByteSlice> parts) throws IOException {
        CreateMultipartUploadRequest.Builder create = CreateMultipartUploadRequest.builder().bucket(bucket.name()).key(bucket.key(key));
        if (crc32c()) {
            create.checksumAlgorithm(ChecksumAlgorithm.CRC32_C);
        }
        CreateMultipartUploadRequest createRequest = create.storageClass(config.storageClass().orElse(null)).serverSideEncryption(sse())
                .ssekmsKeyId(kmsKeyId()).build();
        String uploadId = bucket.call("START UPLOAD " + key, () -> bucket.client().createMultipartUpload(createRequest).uploadId());
        boolean completed = false;
        try {
            List<CompletedPart> done = new ArrayList<>();
            for (int i = 0; i < parts.size(); i++) {
                PartBuffer.ByteSlice part = parts.get(i);
                int number = i + 1;
                String md5 = crc32c() ? null : part.md5();
                String crc = crc32c() ? part.crc32c() : null;
                String what = "PUT PART " + number + " of " + key;
                String etag = bucket.call(what, () -> {
                    UploadPartResponse r = bucket.client().uploadPart(b -> b.bucket(bucket.name()).key(bucket.key(key)).uploadId(uploadId)
                            .partNumber(number).contentLength(part.length()).contentMD5(md5).checksumCRC32C(crc), requestBody(part));
                    confirmed(what, crc, r.checksumCRC32C());
                    return r.eTag();
                });
                done.add(CompletedPart.builder().partNumber(number).eTag(etag).checksumCRC32C(crc).build());
            }
            Storage.CommitOutcome outcome = bucket.call("COMPLETE UPLOAD " + key, () -> {
                try {
                    bucket.client().completeMultipartUpload(r -> r.bucket(bucket.name()).key(bucket.key(key)).uploadId(uploadId)
                            .ifNoneMatch("*").multipartUpload(m -> m.parts(done)));
                    return Storage.CommitOutcome.CREATED;
                } catch (AwsServiceException e) {
                    if (S3Failures.preconditionFailed(e)) {
                        return Storage.CommitOutcome.ALREADY_EXISTS;
                    }
                    // An earlier attempt completed it and only its answer was lost: the object is there.
                    if (S3Failures.noSuchUpload(e) && bucket.head(key).isPresent()) {
                        return Storage.CommitOutcome.ALREADY_EXISTS;
                    }
                    throw e;
                }
            });
            completed = outcome == Storage.CommitOutcome.CREATED;
            abortOthers(uploadId);
            return outcome;
        } finally {
            if (!completed) {
                abortQuietly(uploadId);
            }
        }
    }

    /**
     * Aborts the other unfinished uploads of a key that now exists: a start whose answer was lost and was
     * retried leaves one behind, and none of them could ever complete (If-None-Match), so none is of use.
     */
    private void abortOthers(String uploadId) {
        try {
            for (MultipartUpload u : bucket.uploads("LIST UPLOADS " + key, bucket.key(key))) {
                if (u.key().equals(bucket.key(key)) && !u.uploadId().equals(uploadId)) {
                    bucket.abort(u.key(), u.uploadId());
                }
            }
        } catch (IOException | RuntimeException e) {
            // Left for removeAbandoned (or the bucket's lifecycle rule): an unfinished upload is invisible.
        }
    }

    private void abortQuietly(String uploadId) {
        try {
            bucket.abort(bucket.key(key), uploadId);
        } catch (IOException | RuntimeException e) {
            // Left for removeAbandoned (or the bucket's lifecycle rule): an unfinished upload is invisible.
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
            throw bucket.failures().unconfirmedChecksum(what, answered);
        }
    }
}
