package io.walferry.router;

/**
 * The bytes of the messages a pool relayed: received from its clients and sent to them, received from its servers and
 * sent to them (the router's own messages to a server, a reset or a re-prepared statement, count as sent to servers).
 * Runs on the router's event loop only.
 */
final class PoolBytes {
    long fromClients;
    long toClients;
    long fromServers;
    long toServers;
}
