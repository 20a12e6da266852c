package io.walferry.repository.storage;

import io.walferry.config.LoopbackHost;
import io.walferry.config.S3RepositoryConfig;
import io.walferry.failure.WalferryException;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpConfigurationOption;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.StsClientBuilder;
import software.amazon.awssdk.services.sts.auth.StsAssumeRoleCredentialsProvider;
import software.amazon.awssdk.utils.AttributeMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Builds the AWS SDK client of an S3 repository from its configuration: endpoint and addressing, TLS trust,
 * timeouts, and the credentials chain including an assumed role. The SDK's own retries are off: walferry
 * retries with {@link TransientRetry}, which knows which failures pass and logs each retry.
 */
final class S3ClientFactory {
    private static final Logger LOG = LoggerFactory.getLogger(S3ClientFactory.class);
    private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();

    private S3ClientFactory() {
    }

    static S3Client build(S3RepositoryConfig c) {
        for (String w : transportWarnings(c)) {
            if (WARNED.add(w)) {
                LOG.warn(w);
            }
        }
        SdkHttpClient http = httpClient(c, c.verifyTls());
        S3ClientBuilder b = S3Client.builder()
                .httpClient(http)
                .region(Region.of(c.region()))
                .forcePathStyle(c.pathStyle())
                .credentialsProvider(credentials(c))
                // walferry sends the checksum of every body itself (upload_checksum: CRC-32C, or Content-MD5).
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()));
        c.endpoint().ifPresent(b::endpointOverride);
        return b.build();
    }

    /**
     * What in {@code c} lets someone on the network read or change the traffic, said at every start (once per
     * process): TLS not verified, or an endpoint (S3's or STS's) reached over plain HTTP anywhere but on
     * loopback. STS is verified whatever verify_tls says: it hands out the credentials.
     */
    static List<String> transportWarnings(S3RepositoryConfig c) {
        List<String> out = new ArrayList<>();
        if (!c.verifyTls()) {
            out.add("repository " + c.name() + ": verify_tls is false: the store's certificate is not checked, and anyone on the "
                    + "network path can read and change what is stored (set ca_file for a private CA instead)");
        }
        c.endpoint().filter(S3ClientFactory::plainRemote).ifPresent(e -> out.add("repository " + c.name() + ": endpoint " + e
                + " is plain HTTP: anyone on the network path can read and change what is stored (use https)"));
        c.credentials().assumeRole().flatMap(S3RepositoryConfig.AssumeRole::stsEndpoint).filter(S3ClientFactory::plainRemote)
                .ifPresent(e -> out.add("repository " + c.name() + ": sts_endpoint " + e + " is plain HTTP: anyone on the network "
                        + "path can read the temporary credentials it hands out (use https)"));
        return out;
    }

    private static boolean plainRemote(URI endpoint) {
        return "http".equalsIgnoreCase(endpoint.getScheme()) && (endpoint.getHost() == null || !LoopbackHost.is(endpoint.getHost()));
    }

    private static SdkHttpClient httpClient(S3RepositoryConfig c, boolean verify) {
        ApacheHttpClient.Builder http = ApacheHttpClient.builder()
                .socketTimeout(c.ioTimeout())
                .connectionTimeout(Duration.ofSeconds(Math.min(10, c.ioTimeout().toSeconds() + 1)))
                .maxConnections(64);
        if (c.caFile().isPresent()) {
            TrustManager[] trust = trustManagers(c, c.caFile().get());
            http.tlsTrustManagersProvider(() -> trust);
        }
        if (!verify) {
            return http.buildWithDefaults(AttributeMap.builder().put(SdkHttpConfigurationOption.TRUST_ALL_CERTIFICATES, true).build());
        }
        return http.build();
    }

    private static TrustManager[] trustManagers(S3RepositoryConfig c, Path pem) {
        try (InputStream in = Files.newInputStream(pem)) {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int i = 0;
            for (Certificate cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                store.setCertificateEntry("ca" + i++, cert);
            }
            if (i == 0) {
                throw new GeneralSecurityException("no certificate in the file");
            }
            TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            f.init(store);
            return f.getTrustManagers();
        } catch (IOException | GeneralSecurityException e) {
            throw WalferryException.config("repository " + c.name() + ": cannot read the CA certificates in " + pem + ": "
                    + e.getMessage(), "ca_file must be a PEM file of one or more CA certificates");
        }
    }

    private static AwsCredentialsProvider credentials(S3RepositoryConfig c) {
        S3RepositoryConfig.S3Credentials cred = c.credentials();
        AwsCredentialsProvider base;
        if (cred.accessKeyId().isPresent()) {
            String id = cred.accessKeyId().get().reveal();
            String secret = cred.secretAccessKey().orElseThrow().reveal();
            base = StaticCredentialsProvider.create(cred.sessionToken()
                    .<software.amazon.awssdk.auth.credentials.AwsCredentials>map(t -> AwsSessionCredentials.create(id, secret, t.reveal()))
                    .orElseGet(() -> AwsBasicCredentials.create(id, secret)));
        } else if (cred.profile().isPresent()) {
            base = ProfileCredentialsProvider.create(cred.profile().get());
        } else {
            base = DefaultCredentialsProvider.builder().build();
        }
        if (cred.assumeRole().isEmpty()) {
            return base;
        }
        S3RepositoryConfig.AssumeRole role = cred.assumeRole().get();
        // A client of its own, always verified: verify_tls (for a store with a self-signed certificate) must not
        // expose the credentials STS hands out.
        StsClientBuilder sts = StsClient.builder()
                .httpClient(httpClient(c, true))
                .credentialsProvider(base)
                .region(Region.of(role.stsRegion().orElse(c.region())));
        role.stsEndpoint().ifPresent(sts::endpointOverride);
        return StsAssumeRoleCredentialsProvider.builder()
                .stsClient(sts.build())
                .refreshRequest(r -> {
                    r.roleArn(role.roleArn()).roleSessionName(role.sessionName())
                            .durationSeconds((int) role.sessionDuration().toSeconds());
                    role.externalId().ifPresent(r::externalId);
                })
                .build();
    }
}
