package io.walferry.router;

import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import java.security.cert.X509Certificate;
import java.util.Optional;

/** The CN of a certificate's subject: the user a client certificate names (as PostgreSQL's {@code cert} reads it). */
final class CommonName {
    private CommonName() {
    }

    static Optional<String> of(X509Certificate certificate) {
        return of(certificate.getSubjectX500Principal().getName());
    }

    /** The CN of a distinguished name in RFC 2253 form; empty when it has none, or more than one. */
    static Optional<String> of(String rfc2253) {
        try {
            var cns = new LdapName(rfc2253).getRdns().stream().filter(r -> r.getType().equalsIgnoreCase("CN")).map(Rdn::getValue)
                    .map(String::valueOf).toList();
            return cns.size() == 1 ? Optional.of(cns.get(0)) : Optional.empty();
        } catch (InvalidNameException e) {
            return Optional.empty();
        }
    }
}
