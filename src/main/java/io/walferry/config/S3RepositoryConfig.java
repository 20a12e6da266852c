package io.walferry.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * A repository in an S3 bucket (AWS S3 or an S3-compatible store: R2, MinIO, Ceph).
 *
 * @param prefix        key prefix inside the bucket, without leading or trailing '/'; may be empty
 * @param endpoint      for S3-compatible stores; empty for AWS
 * @param pathStyle     bucket in the path instead of the host name (most S3-compatible stores)
 * @param storageClass  for example STANDARD_IA; empty for the bucket's default
 * @param partSize      multipart part size; an object up to this size is one PUT
 * @param uploadChecksum the checksum sent with every body, which the server checks before it acknowledges
 * @param retryTimeout  how long one request is retried on transient failures before it fails
 * @param ioTimeout     how long a connection may stay silent before the attempt is abandoned and retried
 */
public record S3RepositoryConfig(String name, boolean required, Optional<EncryptionConfig> encryption,
                                 String bucket, String prefix, String region, Optional<URI> endpoint, boolean pathStyle,
                                 Optional<String> storageClass, ServerSideEncryption sse, Optional<String> kmsKeyId,
                                 boolean verifyTls, Optional<Path> caFile, S3Credentials credentials,
                                 long partSize, UploadChecksum uploadChecksum, Duration retryTimeout, Duration ioTimeout)
        implements RepositoryConfig {
    public static final long MIN_PART_SIZE = 5L << 20;
    public static final long MAX_PART_SIZE = 1L << 30;

    /** CRC32C (x-amz-checksum-crc32c, hardware-fast, confirmed by the server's answer) or Content-MD5 (older stores). */
    public enum UploadChecksum { CRC32C, MD5 }

    /** Server-side encryption requested on every write. */
    public enum ServerSideEncryption { NONE, AES256, KMS }

    @Override
    public String describe() {
        return name + " (s3://" + bucket + (prefix.isEmpty() ? "" : "/" + prefix) + endpoint.map(e -> " at " + e).orElse("") + ")";
    }

    /**
     * Where credentials come from: static keys (from secrets), a named profile, or else the standard AWS chain;
     * then optionally a role assumed through STS with them.
     */
    public record S3Credentials(Optional<Secret> accessKeyId, Optional<Secret> secretAccessKey, Optional<Secret> sessionToken,
                                Optional<String> profile, Optional<AssumeRole> assumeRole) {
        public static S3Credentials defaultChain() {
            return new S3Credentials(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
        }
    }

    /** Cross-account access: the role to assume, and where STS is (a regional or a stand-in endpoint). */
    public record AssumeRole(String roleArn, Optional<String> externalId, String sessionName, Duration sessionDuration,
                             Optional<URI> stsEndpoint, Optional<String> stsRegion) {
    }
}
