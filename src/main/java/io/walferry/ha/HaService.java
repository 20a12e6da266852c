package io.walferry.ha;

import io.walferry.config.HaConfig;
import io.walferry.config.NodeConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.failure.Failure;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.NodeState;
import io.walferry.postgres.PgBinaries;
import io.walferry.postgres.PgConnector;
import io.walferry.postgres.PgControl;
import io.walferry.postgres.PgRewind;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Optional;

/** A node's part in HA, in its agent: the loop in a thread of its own, the watchdog, and the REST API. */
public final class HaService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HaService.class);

    private final ClusterStore store;
    private final HaLoop loop;
    private final HaApi api;
    private final Thread thread;

    private HaService(ClusterStore store, HaLoop loop, HaApi api) {
        this.store = store;
        this.loop = loop;
        this.api = api;
        this.thread = Thread.ofPlatform().name("ha-loop").daemon().start(loop::run);
    }

    public static HaService start(WalferryConfig config, NodeConfig me, PgBinaries bin, String restoreCommand) {
        HaConfig ha = config.ha().orElseThrow();
        ClusterStore store = new EtcdStore(ha, config.cluster());
        PgConnector pg = new PgConnector(config.connection());
        Watchdog watchdog = new Watchdog(config.spoolFor(me).resolve("ha"), me.dataDirectory(), bin.program("pg_ctl"));
        MemberApiClient members = new MemberApiClient(ha.api(), ha.retryTimeout());
        HaLoop loop = new HaLoop(config, me, store, pg, new PgControl(bin), new PgRewind(bin), restoreCommand, watchdog, members);
        HaApi api;
        int port = ha.member(me.name()).apiPort();
        try {
            api = new HaApi(ha.api(), port, new HaApi.Source() {
                @Override
                public boolean leader() {
                    return loop.leader();
                }

                @Override
                public Optional<NodeState> local() {
                    return loop.localNow();
                }

                @Override
                public Optional<StoreView> view() {
                    return loop.lastView();
                }

                @Override
                public Decision decision() {
                    return loop.lastDecision();
                }

                @Override
                public boolean acceptFailsafe(String leader) {
                    return loop.acceptFailsafe(leader);
                }

                @Override
                public boolean requestSwitchover(String to) {
                    try {
                        store.requestSwitchover(to, Optional.empty());
                        return true;
                    } catch (StoreUnavailable e) {
                        return false;
                    }
                }
            });
        } catch (InterruptedException e) {
            store.close();
            throw WalferryException.interrupted("starting the HA API");
        } catch (WalferryException e) {
            store.close();
            throw e;
        } catch (RuntimeException e) {
            store.close();
            throw new WalferryException(Failure.CONFIG, "cannot serve the HA API on " + ha.api().listen() + ":" + port + ": " + e.getMessage(),
                    "set api_port of node " + me.name() + " to a free port");
        }
        LOG.info("HA: member {} of cluster {}, API on {}:{}, etcd {}", me.name(), config.cluster(), ha.api().listen(), api.port(),
                ha.etcd().endpoints());
        return new HaService(store, loop, api);
    }

    /** The loop, for readers of its state (the agent's metrics). */
    public HaLoop loop() {
        return loop;
    }

    @Override
    public void close() {
        loop.close();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        api.close();
        store.close();
    }
}
