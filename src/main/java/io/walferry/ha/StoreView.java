package io.walferry.ha;

import io.walferry.postgres.Lsn;

import java.util.Map;
import java.util.Optional;

/**
 * One read of the cluster's keys in the store.
 *
 * @param leader     the member that holds the leader key, if any
 * @param members    the members that published themselves recently, by name
 * @param optime     the last WAL position the leader published: how far a failover candidate may lag
 * @param switchover a switchover the user asked for, if any: to which member
 * @param handoff    the member a leader handed the key to in a switchover: only it may take the key now
 */
public record StoreView(Optional<String> leader, Map<String, MemberState> members, Optional<Lsn> optime, Optional<String> switchover,
                        Optional<String> handoff) {
    public StoreView {
        members = Map.copyOf(members);
    }
}
