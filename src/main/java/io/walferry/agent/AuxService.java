package io.walferry.agent;

import io.walferry.auxdir.AuxSync;
import io.walferry.config.AuxConfig;
import io.walferry.config.NodeConfig;
import io.walferry.config.WalferryConfig;
import io.walferry.failure.WalferryException;
import io.walferry.postgres.PgConnector;
import io.walferry.repository.format.EncodeGate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The agent's part in keeping aux directories (aux_directories) current, every aux_interval: on the primary it pushes
 * what changed to the repositories, on a replica it pulls the newest manifest, so that a promoted replica starts
 * warm. Which one the node is, its own server says; while it is down, nothing is done. A pass never stops the agent.
 */
final class AuxService {
    private static final Logger LOG = LoggerFactory.getLogger(ArchiveAgent.class);

    private final WalferryConfig config;
    private final NodeConfig node;
    private final EncodeGate gate;
    private final PgConnector pg;
    /** Made on the first pass, and kept: it remembers the manifests it read. */
    private AuxSync sync;
    /** What each directory's last pass skipped: said again only when it changes. */
    private final Map<String, List<AuxSync.Skipped>> lastSkipped = new HashMap<>();

    AuxService(WalferryConfig config, NodeConfig node, EncodeGate gate) {
        this.config = config;
        this.node = node;
        this.gate = gate;
        this.pg = new PgConnector(config.connection());
    }

    /** One pass over every aux directory. */
    void run() {
        try {
            Optional<AuxSync.Direction> direction = AuxSync.direction(pg, node);
            if (direction.isEmpty()) {
                LOG.debug("aux directories: node {} cannot be asked whether it is the primary: nothing done", node.name());
                return;
            }
            if (sync == null) {
                sync = new AuxSync(config, node, AuxSync.repositories(config), gate, AuxSync.Progress.NONE);
            }
            for (AuxConfig.Directory d : sync.directories(null)) {
                try {
                    report(direction.get() == AuxSync.Direction.PUSH ? sync.push(d, false) : sync.pull(d, false));
                } catch (WalferryException e) {
                    LOG.warn("aux directory {}: {} (will run again)", d.name(), e.oneLine());
                }
            }
        } catch (Throwable t) {
            LOG.error("aux directories: {} (will run again)", t.toString());
        }
    }

    private void report(AuxSync.Outcome outcome) {
        switch (outcome) {
            case AuxSync.Pushed p -> {
                for (AuxSync.RepositoryPush r : p.repositories()) {
                    if (r.written()) {
                        LOG.info("aux directory {}: manifest {} stored in repository {} ({} files; {} new objects, {} bytes)", p.name(),
                                r.manifest().orElseThrow(), r.repository(), p.files(), r.objectsStored(), r.bytesStored());
                    }
                }
                if (!p.present()) {
                    LOG.debug("aux directory {}: {} does not exist on this node: nothing to push", p.name(), p.path());
                }
            }
            case AuxSync.Pulled p -> {
                if (p.written() + p.links() + p.removed() + p.modes() > 0) {
                    LOG.info("aux directory {}: manifest {} of repository {} pulled: {} files written ({} bytes), {} links, {} modes set, "
                            + "{} removed; {} unchanged", p.name(), p.manifest().orElseThrow(), p.repository().orElseThrow(), p.written(),
                            p.bytesWritten(), p.links(), p.modes(), p.removed(), p.unchanged());
                }
            }
        }
        boolean withheld = outcome instanceof AuxSync.Pushed p && p.withheld().isPresent();
        for (int i = 0; i < outcome.problems().size(); i++) {
            String message = outcome.problems().get(i).message();
            if (withheld && i == outcome.problems().size() - 1) {
                LOG.error("{} (will try again)", message); // the last problem of a withheld push says why nothing was pushed
            } else {
                LOG.warn("{} (will run again)", message);
            }
        }
        if (!outcome.skipped().equals(lastSkipped.put(outcome.name(), outcome.skipped()))) {
            for (AuxSync.Skipped s : outcome.skipped()) {
                LOG.warn("aux directory {}: skipped {}: {}", outcome.name(), s.path(), s.reason());
            }
        }
    }
}
