package io.walferry.repository.storage;

import io.walferry.config.ConfigLoader;
import io.walferry.config.S3RepositoryConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** What an S3 repository's configuration exposes on the network is said at every start. */
class S3ClientFactoryTest {
    @TempDir
    Path tmp;

    private S3RepositoryConfig config(String extra) throws IOException {
        Path file = tmp.resolve("walferry.yaml");
        Files.writeString(file, """
                cluster: c
                nodes: [{name: a, data_directory: /d}]
                repositories:
                  - name: east
                    type: s3
                    bucket: wal-east
                %s""".formatted(extra.indent(4)));
        return (S3RepositoryConfig) new ConfigLoader(Map.of()).load(file).repositories().get(0);
    }

    @Test
    void verifiedHttpsAndLoopbackHttpAreQuietEverythingElseIsWarned() throws IOException {
        assertThat(S3ClientFactory.transportWarnings(config("region: us-east-1"))).isEmpty();
        assertThat(S3ClientFactory.transportWarnings(config("endpoint: https://minio.internal:9000"))).isEmpty();
        assertThat(S3ClientFactory.transportWarnings(config("endpoint: http://127.0.0.1:9000"))).as("never leaves the host").isEmpty();
        assertThat(S3ClientFactory.transportWarnings(config("endpoint: http://localhost:9000"))).isEmpty();

        assertThat(S3ClientFactory.transportWarnings(config("endpoint: http://minio.internal:9000"))).singleElement().asString()
                .isEqualTo("repository east: endpoint http://minio.internal:9000 is plain HTTP: anyone on the network path can read "
                        + "and change what is stored (use https)");
        assertThat(S3ClientFactory.transportWarnings(config("endpoint: https://minio.internal:9000\nverify_tls: false")))
                .singleElement().asString().startsWith("repository east: verify_tls is false");
        assertThat(S3ClientFactory.transportWarnings(config("""
                region: eu-west-1
                credentials:
                  role_arn: arn:aws:iam::210987654321:role/walferry
                  sts_endpoint: http://sts.internal
                """))).singleElement().asString().contains("sts_endpoint http://sts.internal is plain HTTP")
                .contains("temporary credentials");
    }
}
