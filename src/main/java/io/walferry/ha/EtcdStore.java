package io.walferry.ha;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.walferry.config.HaConfig;
import io.walferry.config.Secret;
import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.Lsn;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The cluster's keys in etcd v3, under {@code <namespace>/<cluster>/}: {@code leader} (the holder's name, under its
 * lease), {@code members/<node>} (each member's {@link MemberState}, under the member's own lease), {@code optime}
 * (the leader's last position), {@code switchover} (a requested target) and {@code handoff} (who may take the key
 * after a switchover). Every call waits at most the retry timeout.
 */
public final class EtcdStore implements ClusterStore {
    private static final ObjectMapper JSON = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final Client client;
    private final String prefix;
    private final Duration timeout;
    private long leaderLease;
    private long memberLease;
    private final List<io.etcd.jetcd.Watch.Watcher> watchers = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** The HA loop's store: every call waits at most retry_timeout, so that a pass ends in time. */
    public EtcdStore(HaConfig ha, String cluster) {
        this(ha, cluster, ha.retryTimeout());
    }

    /**
     * A one-shot command's store (switchover, status): it has no lease to keep, so it may wait longer than a pass
     * (its first call also pays the client's set-up).
     */
    public static EtcdStore forCommand(HaConfig ha, String cluster) {
        return new EtcdStore(ha, cluster, ha.retryTimeout().compareTo(COMMAND_TIMEOUT) > 0 ? ha.retryTimeout() : COMMAND_TIMEOUT);
    }

    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(10);

    private EtcdStore(HaConfig ha, String cluster, Duration timeout) {
        this.prefix = ha.prefix(cluster);
        this.timeout = timeout;
        ClientBuilder b = Client.builder().endpoints(ha.etcd().endpoints()).connectTimeout(timeout)
                .retryMaxDuration(timeout).keepaliveTime(Duration.ofSeconds(30)).keepaliveTimeout(timeout);
        ha.etcd().username().ifPresent(u -> b.user(bytes(u)));
        ha.etcd().password().map(Secret::reveal).ifPresent(p -> b.password(bytes(p)));
        if (ha.etcd().caFile().isPresent() || ha.etcd().certFile().isPresent()) {
            try {
                b.sslContext(s -> {
                    ha.etcd().caFile().ifPresent(ca -> s.trustManager(ca.toFile()));
                    if (ha.etcd().certFile().isPresent()) {
                        s.keyManager(ha.etcd().certFile().get().toFile(), ha.etcd().keyFile().orElseThrow().toFile());
                    }
                });
            } catch (javax.net.ssl.SSLException e) {
                throw WalferryException.config("ha.etcd: cannot set up TLS: " + e.getMessage(), "check ca_file, cert_file and key_file");
            }
        }
        this.client = b.build();
    }

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    private ByteSequence key(String name) {
        return bytes(prefix + name);
    }

    private <T> T await(CompletableFuture<T> f, String what) throws StoreUnavailable {
        try {
            return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            throw new StoreUnavailable("etcd did not answer " + what + " within " + timeout.toMillis() + " ms", e);
        } catch (ExecutionException e) {
            throw new StoreUnavailable("etcd refused " + what + ": " + (e.getCause() == null ? e : e.getCause().getMessage()), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreUnavailable("interrupted while " + what, e);
        }
    }

    @Override
    public StoreView read() throws StoreUnavailable {
        GetResponse r = await(client.getKVClient().get(bytes(prefix), GetOption.builder().isPrefix(true).build()), "reading " + prefix);
        Optional<String> leader = Optional.empty();
        Optional<Lsn> optime = Optional.empty();
        Optional<String> switchover = Optional.empty();
        Optional<String> handoff = Optional.empty();
        Optional<List<String>> sync = Optional.empty();
        Map<String, MemberState> members = new HashMap<>();
        for (KeyValue kv : r.getKvs()) {
            String name = kv.getKey().toString(StandardCharsets.UTF_8).substring(prefix.length());
            String value = kv.getValue().toString(StandardCharsets.UTF_8);
            switch (name) {
                case "leader" -> leader = Optional.of(value);
                case "optime" -> optime = lsn(value);
                case "switchover" -> switchover = due(value);
                case "handoff" -> handoff = Optional.of(value);
                case "sync" -> sync = Optional.of(value.isBlank() ? List.of() : List.of(value.split(",")));
                default -> {
                    if (name.startsWith("members/")) {
                        try {
                            MemberState m = JSON.readValue(value, MemberState.class);
                            members.put(m.node(), m);
                        } catch (IOException e) {
                            // a member written by something else: not one of ours
                        }
                    }
                }
            }
        }
        return new StoreView(leader, members, optime, switchover, handoff, sync);
    }

    /** A switchover request, "NODE" or "NODE AT-INSTANT": the node once it is due, else nothing yet. */
    private static Optional<String> due(String value) {
        String[] f = value.strip().split(" ", 2);
        if (f.length == 2) {
            try {
                if (java.time.Instant.now().isBefore(java.time.Instant.parse(f[1]))) {
                    return Optional.empty();
                }
            } catch (java.time.format.DateTimeParseException e) {
                return Optional.empty(); // not a request walferry wrote
            }
        }
        return Optional.of(f[0]);
    }

    private static Optional<Lsn> lsn(String text) {
        try {
            return Optional.of(Lsn.parse(text));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    @Override
    public boolean acquireLeader(String me, Duration ttl) throws StoreUnavailable {
        StoreView v = read();
        if (v.handoff().isPresent() && !v.handoff().get().equals(me)) {
            return false;
        }
        long lease = await(client.getLeaseClient().grant(Math.max(1, ttl.toSeconds())), "granting a lease").getID();
        List<Cmp> conditions = new ArrayList<>(List.of(new Cmp(key("leader"), Cmp.Op.EQUAL, CmpTarget.version(0))));
        v.handoff().ifPresent(h -> conditions.add(new Cmp(key("handoff"), Cmp.Op.EQUAL, CmpTarget.value(bytes(h)))));
        TxnResponse t = await(client.getKVClient().txn().If(conditions.toArray(Cmp[]::new))
                .Then(Op.put(key("leader"), bytes(me), PutOption.builder().withLeaseId(lease).build()),
                        Op.delete(key("handoff"), DeleteOption.DEFAULT))
                .commit(), "taking the leader key");
        if (!t.isSucceeded()) {
            revokeQuietly(lease);
            return false;
        }
        leaderLease = lease;
        return true;
    }

    @Override
    public boolean renewLeader(String me) throws StoreUnavailable {
        if (leaderLease == 0) {
            // An agent that restarted while its key lived: the key names this member, its lease is the one to renew.
            GetResponse r = await(client.getKVClient().get(key("leader")), "reading the leader key");
            if (r.getKvs().size() != 1 || !r.getKvs().get(0).getValue().toString(StandardCharsets.UTF_8).equals(me)) {
                return false;
            }
            leaderLease = r.getKvs().get(0).getLease();
        }
        try {
            long ttl = await(client.getLeaseClient().keepAliveOnce(leaderLease), "renewing the leader lease").getTTL();
            if (ttl <= 0) {
                leaderLease = 0;
                return false;
            }
        } catch (StoreUnavailable e) {
            if (String.valueOf(e.getMessage()).contains("lease not found")) {
                leaderLease = 0;
                return false;
            }
            throw e;
        }
        GetResponse r = await(client.getKVClient().get(key("leader")), "reading the leader key");
        boolean mine = r.getKvs().size() == 1 && r.getKvs().get(0).getValue().toString(StandardCharsets.UTF_8).equals(me)
                && r.getKvs().get(0).getLease() == leaderLease;
        if (!mine) {
            leaderLease = 0;
        }
        return mine;
    }

    @Override
    public void releaseLeader(String me, Optional<String> handoffTo) throws StoreUnavailable {
        List<Op> then = new ArrayList<>(List.of(Op.delete(key("leader"), DeleteOption.DEFAULT)));
        if (handoffTo.isPresent()) {
            // the handoff holds as long as a leader lease would: if the named member does not take the key, anyone may
            long lease = await(client.getLeaseClient().grant(60), "granting a lease").getID();
            then.add(Op.put(key("handoff"), bytes(handoffTo.get()), PutOption.builder().withLeaseId(lease).build()));
        }
        await(client.getKVClient().txn().If(new Cmp(key("leader"), Cmp.Op.EQUAL, CmpTarget.value(bytes(me))))
                .Then(then.toArray(Op[]::new)).commit(), "giving up the leader key");
        if (leaderLease != 0) {
            revokeQuietly(leaderLease);
            leaderLease = 0;
        }
    }

    @Override
    public void publish(MemberState state, Duration ttl, Optional<Lsn> optime) throws StoreUnavailable {
        if (memberLease != 0) {
            try {
                if (await(client.getLeaseClient().keepAliveOnce(memberLease), "renewing the member lease").getTTL() <= 0) {
                    memberLease = 0;
                }
            } catch (StoreUnavailable e) {
                if (!String.valueOf(e.getMessage()).contains("lease not found")) {
                    throw e;
                }
                memberLease = 0;
            }
        }
        if (memberLease == 0) {
            memberLease = await(client.getLeaseClient().grant(Math.max(1, ttl.toSeconds())), "granting a lease").getID();
        }
        String json;
        try {
            json = JSON.writeValueAsString(state);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        List<Op> ops = new ArrayList<>(List.of(Op.put(key("members/" + state.node()), bytes(json),
                PutOption.builder().withLeaseId(memberLease).build())));
        optime.ifPresent(o -> ops.add(Op.put(key("optime"), bytes(o.toString()), PutOption.DEFAULT)));
        await(client.getKVClient().txn().Then(ops.toArray(Op[]::new)).commit(), "publishing " + state.node());
    }

    @Override
    public boolean writeSync(String me, List<String> standbys) throws StoreUnavailable {
        TxnResponse t = await(client.getKVClient().txn().If(new Cmp(key("leader"), Cmp.Op.EQUAL, CmpTarget.value(bytes(me))))
                .Then(Op.put(key("sync"), bytes(String.join(",", standbys)), PutOption.DEFAULT)).commit(), "recording the synchronous standbys");
        return t.isSucceeded();
    }

    @Override
    public void requestSwitchover(String to, Optional<java.time.Instant> at) throws StoreUnavailable {
        await(client.getKVClient().put(key("switchover"), bytes(to + at.map(t -> " " + t).orElse(""))), "asking for a switchover");
    }

    @Override
    public void clearSwitchover() throws StoreUnavailable {
        await(client.getKVClient().delete(key("switchover")), "clearing the switchover");
    }

    @Override
    public void watch(Runnable onChange) {
        for (String k : List.of("leader", "handoff", "switchover")) {
            watchers.add(client.getWatchClient().watch(key(k), r -> onChange.run(), e -> {
                // a broken watch only costs speed: the loop's passes go on reading the store
            }));
        }
    }

    private void revokeQuietly(long lease) {
        try {
            client.getLeaseClient().revoke(lease).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            // it expires by itself
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        watchers.forEach(io.etcd.jetcd.Watch.Watcher::close);
        client.close();
    }

    /** A store error as a walferry failure, for commands that cannot go on without the store. */
    public static WalferryException unavailable(StoreUnavailable e) {
        return new WalferryException(Failure.FAILED, e.getMessage(), "check that etcd runs and ha.etcd.endpoints reach it");
    }
}
