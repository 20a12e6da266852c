package io.walferry.postgres.logical;

import io.walferry.postgres.Lsn;
import io.walferry.postgres.logical.PgOutputMessage.Begin;
import io.walferry.postgres.logical.PgOutputMessage.Commit;
import io.walferry.postgres.logical.PgOutputMessage.Delete;
import io.walferry.postgres.logical.PgOutputMessage.Insert;
import io.walferry.postgres.logical.PgOutputMessage.Kind;
import io.walferry.postgres.logical.PgOutputMessage.LogicalMessage;
import io.walferry.postgres.logical.PgOutputMessage.OldKind;
import io.walferry.postgres.logical.PgOutputMessage.Relation;
import io.walferry.postgres.logical.PgOutputMessage.Truncate;
import io.walferry.postgres.logical.PgOutputMessage.TupleData;
import io.walferry.postgres.logical.PgOutputMessage.Type;
import io.walferry.postgres.logical.PgOutputMessage.Update;
import io.walferry.postgres.logical.PgOutputMessage.Value;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The pgoutput decoder over bytes a PostgreSQL 15 server sent (protocol version 1, messages on), recorded into
 * pgoutput/v1-recording.hex, one message a line, from this session:
 * <pre>
 * create type rec_mood as enum ('happy', 'sad');
 * create table rec_t (id int primary key, n numeric(20,5), j jsonb, arr int[], b bytea, ts timestamptz, txt text, mood rec_mood);
 * create table rec_full (a int, b text);  alter table rec_full replica identity full;
 * create table rec_toast (id int primary key, big text, small int);  alter table rec_toast alter big set storage external;
 * -- timezone UTC
 * insert into rec_t values (1, 12345.67891, '{"k": [1, "é"]}', '{1,NULL,3}', '\x00ff', '2024-02-29 12:34:56.789012+00', 'grüße', 'happy'),
 *                          (2, null, null, null, null, null, null, null);
 * update rec_t set txt = 'changed' where id = 1;   update rec_t set id = 3 where id = 2;   delete from rec_t where id = 3;
 * insert into rec_full values (1, 'x');   update rec_full set b = 'y' where a = 1;   delete from rec_full where a = 1;
 * insert into rec_toast values (1, repeat('0123456789', 1000), 1);   update rec_toast set small = 2 where id = 1;
 * select pg_logical_emit_message(true, 'walferry', 'hello');
 * truncate rec_full, rec_toast restart identity;
 * </pre>
 */
class PgOutputDecoderTest {
    private static List<PgOutputMessage> messages;

    @BeforeAll
    static void decodeTheRecording() throws IOException {
        try (InputStream in = PgOutputDecoderTest.class.getResourceAsStream("/pgoutput/v1-recording.hex")) {
            messages = new String(in.readAllBytes(), StandardCharsets.US_ASCII).lines()
                    .map(l -> PgOutputDecoder.decode(ByteBuffer.wrap(HexFormat.of().parseHex(l)))).toList();
        }
    }

    private static List<String> texts(TupleData t) {
        return t.values().stream().map(Value::text).toList();
    }

    @Test
    void everyTransactionIsBeginChangesCommitWithTheSameLsn() {
        assertThat(messages).hasSize(40);
        Begin begin = (Begin) messages.get(0);
        Commit commit = (Commit) messages.get(5);
        assertThat(commit.commitLsn()).isEqualTo(begin.finalLsn());
        assertThat(commit.endLsn()).isGreaterThan(commit.commitLsn());
        assertThat(commit.commitTime()).isEqualTo(begin.commitTime());
        assertThat(commit.commitTime()).isAfter(Instant.parse("2026-01-01T00:00:00Z")).isBefore(Instant.parse("2100-01-01T00:00:00Z"));
        assertThat(begin.xid()).isPositive();
        long commits = messages.stream().filter(Commit.class::isInstance).count();
        assertThat(messages.stream().filter(Begin.class::isInstance).count()).isEqualTo(commits).isEqualTo(11);
        Lsn previous = new Lsn(0);
        for (PgOutputMessage m : messages) {
            if (m instanceof Commit c) {
                assertThat(c.endLsn()).as("commits come in order").isGreaterThan(previous);
                previous = c.endLsn();
            }
        }
    }

    @Test
    void aTypeAndARelationDescribeTheTable() {
        Type type = (Type) messages.get(1);
        assertThat(type.schema()).isEqualTo("public");
        assertThat(type.name()).isEqualTo("rec_mood");
        Relation r = (Relation) messages.get(2);
        assertThat(r.qualifiedName()).isEqualTo("public.rec_t");
        assertThat(r.replicaIdentity()).isEqualTo('d');
        assertThat(r.columns()).extracting(PgOutputMessage.Column::name).containsExactly("id", "n", "j", "arr", "b", "ts", "txt", "mood");
        assertThat(r.columns().get(0).key()).isTrue();
        assertThat(r.columns().subList(1, 8)).noneMatch(PgOutputMessage.Column::key);
        assertThat(r.columns().get(0).typeOid()).isEqualTo(23);
        assertThat(r.columns().get(1).typeOid()).isEqualTo(1700);
        assertThat(r.columns().get(1).typeModifier()).as("numeric(20,5)").isEqualTo(((20 << 16) | 5) + 4);
        assertThat(r.columns().get(3).typeOid()).as("int[]").isEqualTo(1007);
        assertThat(r.columns().get(7).typeOid()).isEqualTo(type.oid());
        assertThat(r.oid()).isEqualTo(((Insert) messages.get(3)).relation());
    }

    @Test
    void insertsCarryEveryTypeAsTextAndNullsAsNull() {
        Insert first = (Insert) messages.get(3);
        assertThat(texts(first.row())).containsExactly("1", "12345.67891", "{\"k\": [1, \"é\"]}", "{1,NULL,3}", "\\x00ff",
                "2024-02-29 12:34:56.789012+00", "grüße", "happy");
        assertThat(first.row().values()).allMatch(v -> v.kind() == Kind.TEXT);
        Insert second = (Insert) messages.get(4);
        assertThat(second.row().values().get(0).text()).isEqualTo("2");
        assertThat(second.row().values().subList(1, 8)).allMatch(v -> v.kind() == Kind.NULL);
    }

    @Test
    void updatesSendTheOldKeyOnlyWhenItChangedAndTheWholeOldRowForIdentityFull() {
        Update plain = (Update) messages.get(7);
        assertThat(plain.old()).isEmpty();
        assertThat(plain.row().values().get(6).text()).isEqualTo("changed");
        Update keyChanged = (Update) messages.get(10);
        assertThat(keyChanged.old()).hasValueSatisfying(o -> {
            assertThat(o.kind()).isEqualTo(OldKind.KEY);
            assertThat(o.row().values().get(0).text()).isEqualTo("2");
        });
        assertThat(keyChanged.row().values().get(0).text()).isEqualTo("3");
        Delete delete = (Delete) messages.get(13);
        assertThat(delete.old().kind()).isEqualTo(OldKind.KEY);
        assertThat(delete.old().row().values().get(0).text()).isEqualTo("3");

        assertThat(((Relation) messages.get(16)).replicaIdentity()).isEqualTo('f');
        assertThat(((Relation) messages.get(16)).columns()).allMatch(PgOutputMessage.Column::key);
        Update full = (Update) messages.get(20);
        assertThat(full.old()).hasValueSatisfying(o -> {
            assertThat(o.kind()).isEqualTo(OldKind.FULL);
            assertThat(texts(o.row())).containsExactly("1", "x");
        });
        assertThat(texts(full.row())).containsExactly("1", "y");
        Delete fullDelete = (Delete) messages.get(23);
        assertThat(fullDelete.old().kind()).isEqualTo(OldKind.FULL);
        assertThat(texts(fullDelete.old().row())).containsExactly("1", "y");
    }

    @Test
    void anUnchangedToastedValueIsMarkedNotSent() {
        Insert big = (Insert) messages.get(27);
        assertThat(big.row().values().get(1).text()).hasSize(10_000).startsWith("0123456789");
        Update small = (Update) messages.get(30);
        assertThat(small.row().values()).extracting(Value::kind).containsExactly(Kind.TEXT, Kind.UNCHANGED_TOAST, Kind.TEXT);
        assertThat(small.row().values().get(2).text()).isEqualTo("2");
    }

    @Test
    void messagesAndTruncates() {
        LogicalMessage m = (LogicalMessage) messages.get(33);
        assertThat(m.transactional()).isTrue();
        assertThat(m.prefix()).isEqualTo("walferry");
        assertThat(new String(m.content(), StandardCharsets.UTF_8)).isEqualTo("hello");
        Truncate t = (Truncate) messages.get(38);
        assertThat(t.relations()).containsExactly(((Relation) messages.get(36)).oid(), ((Relation) messages.get(37)).oid());
        assertThat(t.restartIdentity()).isTrue();
        assertThat(t.cascade()).isFalse();
    }

    @Test
    void malformedInputIsRefusedSayingWhat() {
        assertThatThrownBy(() -> PgOutputDecoder.decode(ByteBuffer.wrap(new byte[]{'Z', 0})))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("unknown pgoutput message type 'Z'");
        byte[] commit = HexFormat.of().parseHex("4300000000000154cee8000000000154cf180003050231ee4ed3");
        assertThatThrownBy(() -> PgOutputDecoder.decode(ByteBuffer.wrap(Arrays.copyOf(commit, commit.length - 3))))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("pgoutput message 'C' ends early (23 bytes)");
        assertThatThrownBy(() -> PgOutputDecoder.decode(ByteBuffer.wrap(Arrays.copyOf(commit, commit.length + 1))))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("1 bytes left over after pgoutput message 'C'");
        // an insert whose only value claims more bytes than follow
        byte[] insert = HexFormat.of().parseHex("49000040294e00017400000010" + "41");
        assertThatThrownBy(() -> PgOutputDecoder.decode(ByteBuffer.wrap(insert)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("column 1 claims 16 bytes, 1 are left");
        assertThatThrownBy(() -> PgOutputDecoder.decode(ByteBuffer.wrap(HexFormat.of().parseHex("49000040294e000178"))))
                .hasMessage("column 1: unknown value kind 'x'");
    }

    @Test
    void decodesFromTheBuffersPositionWithoutMovingIt() {
        byte[] commit = HexFormat.of().parseHex("ff" + "4300000000000154cee8000000000154cf180003050231ee4ed3");
        ByteBuffer b = ByteBuffer.wrap(commit);
        b.position(1);
        assertThat(PgOutputDecoder.decode(b)).isInstanceOf(Commit.class);
        assertThat(b.position()).isEqualTo(1);
    }
}
