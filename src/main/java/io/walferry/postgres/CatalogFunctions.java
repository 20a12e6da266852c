package io.walferry.postgres;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.Set;

/**
 * The names of the server's built-in functions that cannot write: every function of that name is in {@code pg_catalog}
 * or {@code information_schema} (the same in every database of the cluster) and is immutable or stable. A name that a
 * schema of this database also defines, or that has a volatile overload, is left out.
 */
public final class CatalogFunctions {
    private CatalogFunctions() {
    }

    public static Set<String> readOnlyNames(Connection c) throws SQLException {
        Set<String> out = new HashSet<>();
        try (Statement s = c.createStatement();
             ResultSet r = s.executeQuery("select p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace "
                     + "group by p.proname having bool_and(n.nspname in ('pg_catalog', 'information_schema') "
                     + "and p.provolatile <> 'v' and p.prokind <> 'p')")) {
            while (r.next()) {
                out.add(r.getString(1));
            }
        }
        return out;
    }
}
