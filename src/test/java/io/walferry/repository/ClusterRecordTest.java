package io.walferry.repository;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.walferry.postgres.ClusterIdentity;
import io.walferry.postgres.PgVersion;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ClusterRecordTest {
    private static final ClusterIdentity ID = new ClusterIdentity(7_300_000_000_000_000_042L, new PgVersion(15), 16L << 20);

    private static ClusterRecord read(String json) throws IOException {
        return ClusterRecord.read(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void readsWhatTheAnnotationsWrite() throws IOException {
        ObjectMapper writer = new ObjectMapper();
        ClusterRecord plain = ClusterRecord.of("main", ID, "2026-12-01T12:00:00Z", "walferry 0.1.0");
        ClusterRecord encrypted = plain.withEncryption(new ClusterRecord.EncryptionRecord("aes-256-gcm", "hkdf-sha256", "c2FsdA==", "ab12"));
        for (ClusterRecord r : new ClusterRecord[]{plain, encrypted}) {
            assertThat(read(writer.writeValueAsString(r))).isEqualTo(r);
        }
        assertThat(read(writer.writeValueAsString(plain)).identity()).isEqualTo(ID);
    }

    @Test
    void skipsPropertiesOfLaterVersionsAndTakesNullForMissingOnes() throws IOException {
        ClusterRecord r = read("""
                {"format_version": 1, "future": {"a": [1, {"b": 2}]}, "cluster": "main", "system_identifier": "7300000000000000042",
                 "pg_version": 15, "wal_segment_size": 16777216, "encryption": {"cipher": "aes-256-gcm", "later": [1]}, "tags": ["x"]}""");
        assertThat(r.identity()).isEqualTo(ID);
        assertThat(r.createdAt()).isNull();
        assertThat(r.encryption().cipher()).isEqualTo("aes-256-gcm");
        assertThat(r.encryption().salt()).isNull();
        assertThat(read("{\"encryption\": null}").encryption()).isNull();
    }

    @Test
    void refusesWhatIsNoRegistration() {
        assertThatThrownBy(() -> read("[1, 2]")).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> read("{\"cluster\": \"main\"")).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> read("{\"pg_version\": \"fifteen\"}")).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> read("{\"cluster\": 5}")).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> read("")).isInstanceOf(IOException.class);
    }
}
