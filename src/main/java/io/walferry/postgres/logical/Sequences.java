package io.walferry.postgres.logical;

import io.walferry.config.LogicalStreamConfig.QualifiedName;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/** Sequence values, which logical replication does not carry: read on the source, set on the target at cutover. */
public final class Sequences {
    private Sequences() {
    }

    /** A sequence's state; {@code lastValue} empty where the role may not read it or it was never used. */
    public record Value(QualifiedName name, java.util.Optional<Long> lastValue, boolean called) {
    }

    /** The sequences of these schemas. */
    public static List<Value> read(Connection c, Collection<String> schemas) throws SQLException {
        List<Value> values = new ArrayList<>();
        try (PreparedStatement p = c.prepareStatement("select schemaname, sequencename, last_value from pg_sequences "
                + "where schemaname = any(?) order by 1, 2")) {
            p.setArray(1, c.createArrayOf("text", schemas.toArray()));
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    long v = r.getLong(3);
                    boolean set = !r.wasNull();
                    values.add(new Value(new QualifiedName(r.getString(1), r.getString(2)), set ? java.util.Optional.of(v)
                            : java.util.Optional.empty(), set));
                }
            }
        }
        return values;
    }

    /** Sets the sequence as the source has it; false if the target has no such sequence. */
    public static boolean set(Connection c, Value v) throws SQLException {
        if (v.lastValue().isEmpty()) {
            return false;
        }
        try (PreparedStatement p = c.prepareStatement("select setval(to_regclass(?), ?, ?) from (select 1) x where to_regclass(?) is not null")) {
            String name = Identifiers.quote(v.name());
            p.setString(1, name);
            p.setLong(2, v.lastValue().get());
            p.setBoolean(3, v.called());
            p.setString(4, name);
            try (ResultSet r = p.executeQuery()) {
                return r.next();
            }
        }
    }
}
