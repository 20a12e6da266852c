/**
 * The files walferry's JVMs share with the bash launcher and with one another while PostgreSQL archives and
 * replays: every name, who writes it, and each change of state, in one place. docs/agent-protocol.md is the
 * spec; the launcher ({@code walferry}) is the other side, and LauncherIT runs its functions against what these
 * classes write, and these classes against what it writes.
 *
 * <ul>
 *   <li>{@link io.walferry.fastpath.RuntimeDirectory}: the agent's acks and failures for archive_command, its pid,
 *       the push timeout, and the wait FIFO, in the runtime directory.</li>
 *   <li>{@link io.walferry.fastpath.PrefetchQueue}: the segments fetched ahead of replay in the data directory, and
 *       the records around them ({@code .from}, {@code .taken}, {@code .missing}, {@code .pid}, {@code .lock}).</li>
 *   <li>{@link io.walferry.fastpath.PrefetchQuestion}: the launcher's question to a running prefetcher
 *       ({@code .ask}, {@code .answer}, {@code .answered}).</li>
 *   <li>{@link io.walferry.fastpath.PrefetcherProcess}: how a prefetcher is started and known by its command line;
 *       {@link io.walferry.fastpath.PrefetchHandOver}: archive-get's JVM side of the queue;
 *       {@link io.walferry.fastpath.PrefetchQueueReset}: what a restore does to a queue it replaces.</li>
 *   <li>{@link io.walferry.fastpath.CatchUpMarkers}: the spool's record of what optional repositories lack, shared
 *       by archive-push JVMs and the agent.</li>
 * </ul>
 *
 * <p>Above failure, config and postgres; below archive, agent and backup, which act through it.
 */
package io.walferry.fastpath;
