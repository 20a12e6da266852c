package io.walferry.repository.storage;

import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

import javax.net.ssl.SSLHandshakeException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.security.cert.CertificateException;

import static org.assertj.core.api.Assertions.assertThat;

/** What each failure an S3 store or the SDK reports means to walferry: retried, or one line of a typed failure. */
class S3FailuresTest {
    private static final S3Failures FAILURES = new S3Failures("east", "s3://wal-east/prod at https://s3.example", "wal-east");

    private static AwsServiceException answer(int status, String code, String message) {
        return S3Exception.builder().statusCode(status).message(message)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage(message).build()).build();
    }

    private static SdkClientException noAnswer(String message, Throwable cause) {
        return SdkClientException.builder().message(message).cause(cause).build();
    }

    /** The one-line failure {@code e} becomes, checked to be one line that names the repository. */
    private static WalferryException typed(SdkException e) {
        RuntimeException r = FAILURES.translate("PUT c/wal/0000000100000000/000000010000000000000001", e);
        assertThat(r).isInstanceOf(WalferryException.class);
        WalferryException w = (WalferryException) r;
        assertThat(w.oneLine()).startsWith("repository east").doesNotContain("\n");
        assertThat(w.hint()).isNotBlank();
        return w;
    }

    @ParameterizedTest(name = "HTTP {0} {1}")
    @CsvSource({"503,SlowDown", "500,InternalError", "502,''", "429,''", "408,''", "400,RequestTimeout", "400,BadDigest",
            "409,ConditionalRequestConflict", "409,OperationAborted", "403,RequestTimeTooSkewed"})
    void answersThatSayTryAgainAreRetried(int status, String code) {
        RuntimeException r = FAILURES.translate("HEAD c/cluster.json", answer(status, code, "try later"));
        assertThat(r).isInstanceOf(S3Failures.TransientS3Failure.class)
                .hasMessage("HEAD c/cluster.json: HTTP " + status + (code.isEmpty() ? "" : " " + code));
        assertThat(S3Failures.isTransient(r)).isTrue();
    }

    @Test
    void refusedCredentialsAndMissingPermissionsAreTheConfigurations() {
        for (String code : new String[]{"InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken"}) {
            WalferryException e = typed(answer(403, code, "no"));
            assertThat(e.kind()).isEqualTo(Failure.CONFIG);
            assertThat(e.getMessage()).isEqualTo("repository east (s3://wal-east/prod at https://s3.example): the credentials were refused ("
                    + code + ") on PUT c/wal/0000000100000000/000000010000000000000001");
            assertThat(e.hint()).contains("credentials.access_key_id");
        }
        WalferryException denied = typed(answer(403, "AccessDenied", "Access Denied"));
        assertThat(denied.kind()).isEqualTo(Failure.CONFIG);
        assertThat(denied.getMessage()).contains("access denied on PUT").endsWith("(AccessDenied)");
        assertThat(denied.hint()).contains("docs/cross-account.md");
    }

    @Test
    void aWrongBucketOrRegionIsTheConfigurations() {
        WalferryException bucket = typed(answer(404, "NoSuchBucket", "The specified bucket does not exist"));
        assertThat(bucket.kind()).isEqualTo(Failure.CONFIG);
        assertThat(bucket.getMessage()).endsWith(": bucket wal-east does not exist");
        assertThat(bucket.hint()).contains("walferry does not create buckets");
        for (String code : new String[]{"PermanentRedirect", "AuthorizationHeaderMalformed"}) {
            WalferryException region = typed(answer(400, code, "wrong region"));
            assertThat(region.kind()).isEqualTo(Failure.CONFIG);
            assertThat(region.getMessage()).endsWith(": the bucket is in another region (" + code + ")");
        }
        assertThat(typed(answer(301, "", null)).getMessage()).contains("another region");
    }

    @Test
    void aStoreWithoutConditionalWritesIsTheRepositorys() {
        for (AwsServiceException e : new AwsServiceException[]{answer(501, "NotImplemented", "If-None-Match"), answer(400, "NotImplemented", "no")}) {
            WalferryException w = typed(e);
            assertThat(w.kind()).isEqualTo(Failure.REPOSITORY);
            assertThat(w.getMessage()).contains("the store does not implement PUT");
            assertThat(w.hint()).contains("If-None-Match");
        }
    }

    @Test
    void anyOtherAnswerIsTheRepositorysWithWhatTheStoreSaid() {
        WalferryException e = typed(answer(400, "InvalidArgument", "Invalid part number"));
        assertThat(e.kind()).isEqualTo(Failure.REPOSITORY);
        assertThat(e.getMessage()).endsWith("failed: HTTP 400 InvalidArgument (Invalid part number)");
        assertThat(e.getCause()).isInstanceOf(S3Exception.class);
        assertThat(typed(S3Exception.builder().statusCode(400).build()).getMessage()).as("an answer without details").endsWith("failed: HTTP 400 ");
    }

    @Test
    void noAnswerIsTheTrustTheNameTheCredentialsOrTheNetwork() {
        SSLHandshakeException handshake = new SSLHandshakeException("PKIX path building failed");
        handshake.initCause(new CertificateException("unable to find valid certification path"));
        WalferryException tls = typed(noAnswer("Unable to execute HTTP request: PKIX path building failed", handshake));
        assertThat(tls.kind()).isEqualTo(Failure.CONFIG);
        assertThat(tls.getMessage()).contains("the TLS certificate of the endpoint is not trusted (unable to find valid certification path)");
        assertThat(tls.hint()).contains("ca_file");

        WalferryException host = typed(noAnswer("Unable to execute HTTP request: s3.nowhere.invalid", new UnknownHostException("s3.nowhere.invalid")));
        assertThat(host.kind()).isEqualTo(Failure.CONFIG);
        assertThat(host.getMessage()).endsWith(": cannot resolve host s3.nowhere.invalid");

        WalferryException credentials = typed(noAnswer("Unable to load credentials from any of the providers in the chain", null));
        assertThat(credentials.kind()).isEqualTo(Failure.CONFIG);
        assertThat(credentials.getMessage()).endsWith(": no AWS credentials found");

        WalferryException role = typed(noAnswer("AssumeRole refused: not authorized to perform sts:AssumeRole", null));
        assertThat(role.kind()).isEqualTo(Failure.CONFIG);
        assertThat(role.getMessage()).contains("cannot assume the configured role");
        assertThat(role.hint()).contains("role_arn");

        WalferryException other = typed(noAnswer("something unforeseen", null));
        assertThat(other.kind()).isEqualTo(Failure.REPOSITORY);
        assertThat(other.getMessage()).endsWith("failed: SdkClientException: something unforeseen");
    }

    @Test
    void aBrokenConnectionOrATimeoutIsRetried() {
        for (SdkException e : new SdkException[]{noAnswer("Unable to execute HTTP request: Connection reset", new SocketException("Connection reset")),
                ApiCallAttemptTimeoutException.builder().message("attempt timed out").build()}) {
            RuntimeException r = FAILURES.translate("GET c/x", e);
            assertThat(r).isInstanceOf(S3Failures.TransientS3Failure.class).hasMessageStartingWith("GET c/x: ");
            assertThat(S3Failures.isTransient(r)).isTrue();
        }
    }

    @Test
    void whatPassesAndWhatDoesNot() {
        assertThat(S3Failures.isTransient(new IOException("reset"))).isTrue();
        assertThat(S3Failures.isTransient(new UncheckedIOException(new IOException("reset while reading the answer")))).isTrue();
        assertThat(S3Failures.isTransient(new InterruptedIOException("stopped"))).as("an interrupt is obeyed").isFalse();
        assertThat(S3Failures.isTransient(WalferryException.config("bad", "fix it"))).isFalse();
        assertThat(S3Failures.isTransient(new IllegalStateException("a bug"))).isFalse();
    }

    @Test
    void answersThatAreOutcomesNotFailures() {
        assertThat(S3Failures.noSuchObject(NoSuchKeyException.builder().statusCode(404).build())).isTrue();
        assertThat(S3Failures.noSuchObject(answer(404, "", null))).as("a HEAD's 404 has no body").isTrue();
        assertThat(S3Failures.noSuchObject(answer(404, "NoSuchBucket", "gone"))).as("a missing bucket is no missing object").isFalse();
        assertThat(S3Failures.preconditionFailed(answer(412, "PreconditionFailed", "exists"))).isTrue();
        assertThat(S3Failures.preconditionFailed(answer(409, "ConditionalRequestConflict", "busy"))).isFalse();
        assertThat(S3Failures.noSuchUpload(answer(404, "NoSuchUpload", "gone"))).isTrue();
        assertThat(S3Failures.noSuchUpload(answer(404, "NoSuchKey", "gone"))).isFalse();
    }

    @Test
    void aChecksumTheStoreDidNotConfirmAndAnObjectReplacedWhileReadAreTheRepositorys() {
        WalferryException unconfirmed = FAILURES.unconfirmedChecksum("PUT c/x", null);
        assertThat(unconfirmed.kind()).isEqualTo(Failure.REPOSITORY);
        assertThat(unconfirmed.oneLine()).contains("did not confirm the CRC-32C of PUT c/x (answered null)").contains("upload_checksum: md5");
        WalferryException changed = FAILURES.changedWhileRead("c/x", answer(412, "PreconditionFailed", "etag"));
        assertThat(changed.kind()).isEqualTo(Failure.REPOSITORY);
        assertThat(changed.getMessage()).isEqualTo("repository east: c/x changed while it was read");
    }
}
