package io.walferry.postgres;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;

/** The demo's table of orders: created with some rows, written to in batches, counted on every node. */
public final class DemoOrders {
    private DemoOrders() {
    }

    public static void create(Connection c, int rows) throws SQLException {
        Sql.run(c, "create table orders (id bigserial primary key, region text not null, amount numeric not null, "
                + "created timestamptz not null default now())");
        Sql.run(c, "insert into orders (region, amount) select 'us-east-1', g % 1000 from generate_series(1, ?) g", rows);
    }

    /** Inserts a batch of {@code rows} in one transaction, committed when this returns: the rows acknowledged. */
    public static int insertBatch(Connection c, int rows) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("insert into orders (region, amount) select 'us-east-1', random() * 1000 "
                + "from generate_series(1, ?)")) {
            p.setInt(1, rows);
            return p.executeUpdate();
        }
    }

    /** One row in its own transaction; when this returns it is committed, and which server took it is known. */
    public record Acknowledged(long id, int serverPort) {
    }

    public static Acknowledged insertOne(Connection c) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("insert into orders (region, amount) values ('us-east-1', "
                + "random() * 1000) returning id, inet_server_port()");
             ResultSet r = p.executeQuery()) {
            r.next();
            return new Acknowledged(r.getLong(1), r.getInt(2));
        }
    }

    /** A read of the table; returns the port of the server that ran it (through a router: which node it chose). */
    public static int readOne(Connection c) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("select inet_server_port(), max(id) from orders");
             ResultSet r = p.executeQuery()) {
            r.next();
            return r.getInt(1);
        }
    }

    /** How many of the rows with these ids the server holds. */
    public static long present(Connection c, long[] ids) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("select count(*) from orders where id = any(?)")) {
            p.setArray(1, c.createArrayOf("bigint", java.util.Arrays.stream(ids).boxed().toArray()));
            try (ResultSet r = p.executeQuery()) {
                r.next();
                return r.getLong(1);
            }
        }
    }

    public static long count(Connection c) throws SQLException {
        return Long.parseLong(Sql.one(c, "select count(*) from orders"));
    }
}
