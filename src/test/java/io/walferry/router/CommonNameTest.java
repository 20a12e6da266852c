package io.walferry.router;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The user a client certificate names: its subject's one CN. */
class CommonNameTest {
    @Test
    void theOneCnOfTheSubject() {
        assertThat(CommonName.of("CN=app,O=Example,C=DE")).contains("app");
        assertThat(CommonName.of("O=Example,CN=app\\,x")).contains("app,x");
        assertThat(CommonName.of("O=Example")).isEmpty();
        assertThat(CommonName.of("CN=a,CN=b")).as("two CNs name no one user").isEmpty();
        assertThat(CommonName.of("not a name")).isEmpty();
    }
}
