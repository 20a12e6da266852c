package io.walferry.auxdir;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A manifest is input from the repository: whatever would lead a pull out of its directory or astray is refused. */
class AuxManifestCheckTest {
    private static final String SHA = "a".repeat(64);
    private static final String VALID = """
            {"format_version": 1, "id": "20261122T090102.123Z", "cluster": "c", "name": "models", "node": "pg1",
             "created_at": "2026-11-22T09:01:02.123Z", "chunk_size": 67108864,
             "directories": [{"path": "sub", "mode": "0755"}],
             "files": [{"path": "sub/w.bin", "size": 10, "mode": "0644", "sha256": "%s", "chunks": ["%s"]}],
             "links": [{"path": "current", "target": "sub/w.bin"}]}
            """.formatted(SHA, SHA);

    private static AuxManifest parse(String json) throws AuxManifestCheck.InvalidManifestException {
        return AuxManifest.fromJson(json.getBytes(StandardCharsets.UTF_8), "models");
    }

    @Test
    void aManifestWalferryWritesIsTaken() throws Exception {
        AuxManifest m = parse(VALID);
        assertThat(m.files()).hasSize(1);
        assertThat(parse(new String(m.toJson(), StandardCharsets.UTF_8))).isEqualTo(m);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "\"path\": \"sub/w.bin\"|\"path\": \"../w.bin\"|file path \"../w.bin\" is not a plain relative path inside the directory",
            "\"path\": \"sub/w.bin\"|\"path\": \"/etc/passwd\"|file path \"/etc/passwd\" is not a plain relative path",
            "\"path\": \"sub/w.bin\"|\"path\": \"current/w.bin\"|\"current/w.bin\" is listed below link \"current\"",
            "\"path\": \"sub/w.bin\"|\"path\": \"sub\"|\"sub\" is listed twice",
            "\"target\": \"sub/w.bin\"|\"target\": \"../../etc/shadow\"|link \"current\" points at \"../../etc/shadow\", outside the directory",
            "\"target\": \"sub/w.bin\"|\"target\": \"/etc/shadow\"|points at \"/etc/shadow\", outside the directory",
            "\"mode\": \"0644\"|\"mode\": \"4755\"|mode \"4755\" is not permission bits",
            "\"size\": 10|\"size\": 70000000|lists 1 chunks, not 2",
            "\"size\": 10|\"size\": -1|size -1 is not from 0",
            "\"name\": \"models\"|\"name\": \"other\"|is not that of a manifest of aux directory models",
            "\"format_version\": 1|\"format_version\": 2|format version 2 is not 1",
            "\"chunk_size\": 67108864|\"chunk_size\": 1024|chunk_size 1024 is not 67108864",
            "\"path\": \"sub/w.bin\"|\"path\": \"sub/.walferry-aux-0123456789abcdef.tmp\"|has the name of a pull's temporary file",
    })
    void whatCouldLeadAPullAstrayIsRefusedWithTheEntryNamed(String from, String to, String expected) {
        String json = VALID.replace(from, to);
        assertThat(json).isNotEqualTo(VALID);
        assertThatThrownBy(() -> parse(json)).isInstanceOf(AuxManifestCheck.InvalidManifestException.class).hasMessageContaining(expected);
    }

    @Test
    void aLinkThroughAnotherLinkIsRefused() {
        String json = VALID.replace("\"links\": [{\"path\": \"current\", \"target\": \"sub/w.bin\"}]",
                "\"links\": [{\"path\": \"up\", \"target\": \"sub\"}, {\"path\": \"sub/x\", \"target\": \"../up/w.bin\"}]");
        assertThatThrownBy(() -> parse(json)).isInstanceOf(AuxManifestCheck.InvalidManifestException.class)
                .hasMessageContaining("through another link");
    }
}
