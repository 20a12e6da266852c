package io.walferry.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * High availability (the {@code ha:} section): the etcd cluster the nodes' agents coordinate through, the timing of
 * the HA loop, the failover rules, and each node's part in them. See docs/ha.md.
 *
 * @param namespace              the etcd key prefix; the cluster's keys live under {@code <namespace>/<cluster>/}
 * @param ttl                    the leader key's lease: a primary that cannot renew it stops taking writes before it expires
 * @param loopWait               the pause between two passes of the HA loop
 * @param retryTimeout           how long one pass retries etcd and PostgreSQL before it gives up
 * @param maximumLagOnFailover   a replica further behind the last known primary position than this is never promoted
 * @param synchronousCount       with synchronous on or quorum: how many standbys must confirm a commit
 * @param synchronousStrict      with too few healthy standbys commits wait (true), or go on without them and no replica is
 *                               promoted automatically until one has caught up again (false)
 * @param primaryStartTimeout    how long the leader may take to start its crashed PostgreSQL again in place, holding the key
 *                               meanwhile, before it gives the key up for a failover
 * @param failsafe               when etcd is unreachable, the primary keeps serving while every member's API answers
 * @param api                    the agents' REST API: where it listens (loopback unless configured), TLS, credentials
 */
public record HaConfig(Etcd etcd, String namespace, Duration ttl, Duration loopWait, Duration retryTimeout, long maximumLagOnFailover,
                       Synchronous synchronous, int synchronousCount, boolean synchronousStrict, Duration primaryStartTimeout, boolean failsafe, Api api, Map<String, Member> members) {
    public HaConfig {
        members = Map.copyOf(members);
    }

    /** How the agents reach etcd. */
    public record Etcd(java.util.List<URI> endpoints, Optional<Path> caFile, Optional<Path> certFile, Optional<Path> keyFile,
                       Optional<String> username, Optional<Secret> password) {
        public Etcd {
            endpoints = java.util.List.copyOf(endpoints);
        }
    }

    /**
     * A node's part in failover.
     *
     * @param failoverPriority   among equally advanced replicas, the higher is promoted
     * @param noFailover         never promoted automatically
     * @param promoteFromArchive an archive-only replica (another account) may be promoted automatically
     * @param apiPort            the port of its agent's REST API
     */
    public record Member(int failoverPriority, boolean noFailover, boolean promoteFromArchive, int apiPort) {
        public static final Member DEFAULT = new Member(1, false, false, 8008);
    }

    public enum Synchronous { OFF, ON, QUORUM }

    /**
     * The agents' REST API: the address it listens on; TLS with a certificate and key (PEM) when given, and the CA
     * members verify one another's with; the credentials every POST (failsafe, switchover) must carry.
     */
    public record Api(String listen, Optional<Path> certFile, Optional<Path> keyFile, Optional<Path> caFile, Optional<String> username,
                      Optional<Secret> password) {
        public static final Api LOOPBACK = new Api("127.0.0.1", Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty());

        public boolean tls() {
            return certFile.isPresent();
        }

        public String scheme() {
            return tls() ? "https" : "http";
        }
    }

    public Member member(String node) {
        return members.getOrDefault(node, Member.DEFAULT);
    }

    /** The cluster's keys in etcd. */
    public String prefix(String cluster) {
        return namespace + "/" + cluster + "/";
    }
}
