#!/usr/bin/env python3
"""The clients of bench/failover.sh: the retrying writer, the delaying TCP proxy, and the heartbeat lag probe.

    failover_client.py writer DSN OUT FIRST_ID [INTERVAL]
        Inserts one row at a time (autocommit) into bench_fo through DSN (a multi-host,
        target_session_attrs=read-write connection string), one every INTERVAL seconds (0.01) while it
        works; on any error it drops the connection and tries again 50 ms later. Every acknowledged
        insert is a line "ack ID EPOCH PORT" (PORT: the server that acknowledged it), every failure
        "err ID EPOCH MESSAGE". An id is never used twice, acknowledged or not. Stops on SIGTERM.

    failover_client.py proxy LISTEN_PORT TARGET_PORT DELAY_MS
        A TCP relay on 127.0.0.1 that delivers every chunk DELAY_MS after it arrived, in each direction
        (so 2 x DELAY_MS of added round-trip time), in order, without limiting the throughput.

    failover_client.py lag PRIMARY_DSN SECONDS OUT NAME=DSN [NAME=DSN ...]
        Every 100 ms, updates heartbeat (id 1) on the primary with clock_timestamp(); from one second
        later, for SECONDS, reads clock_timestamp() - heartbeat.at on each replica at random intervals of
        50 to 150 ms (mean 100 ms, so that the reading's phase against the heartbeat's is uniform). One
        line per reading: "NAME EPOCH LAG_S".
"""
import asyncio
import random
import signal
import sys
import threading
import time


def writer(dsn, out, first_id, interval=0.01):
    import psycopg2
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    next_id = first_id
    conn = None
    with open(out, "a", buffering=1) as f:
        while not stop.is_set():
            try:
                if conn is None:
                    conn = psycopg2.connect(dsn)
                    conn.autocommit = True
                with conn.cursor() as cur:
                    cur.execute("insert into bench_fo (id) values (%s) returning inet_server_port()", (next_id,))
                    port = cur.fetchone()[0]
                f.write(f"ack {next_id} {time.time():.6f} {port}\n")
                next_id += 1
                stop.wait(interval)
            except psycopg2.Error as e:
                f.write(f"err {next_id} {time.time():.6f} {' '.join(str(e).split())[:200]}\n")
                next_id += 1  # the row may or may not exist: never reused, never counted
                if conn is not None:
                    try:
                        conn.close()
                    except psycopg2.Error:
                        pass
                    conn = None
                stop.wait(0.05)


async def _relay(reader, writer, delay):
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def read():
        try:
            while True:
                data = await reader.read(65536)
                queue.put_nowait((loop.time() + delay, data))
                if not data:
                    return
        except (ConnectionError, OSError):
            queue.put_nowait((loop.time(), b""))

    async def write():
        try:
            while True:
                at, data = await queue.get()
                wait = at - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                if not data:
                    if writer.can_write_eof():
                        writer.write_eof()
                    return
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            return

    await asyncio.gather(read(), write())


async def _proxy(listen_port, target_port, delay):
    async def handle(client_r, client_w):
        try:
            server_r, server_w = await asyncio.open_connection("127.0.0.1", target_port)
        except OSError:
            client_w.close()
            return
        await asyncio.gather(_relay(client_r, server_w, delay), _relay(server_r, client_w, delay))
        for w in (client_w, server_w):
            w.close()

    server = await asyncio.start_server(handle, "127.0.0.1", listen_port)
    async with server:
        await server.serve_forever()


def proxy(listen_port, target_port, delay_ms):
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    asyncio.run(_proxy(int(listen_port), int(target_port), int(delay_ms) / 1000.0))


def lag(primary_dsn, seconds, out, replicas):
    import psycopg2
    end = time.time() + 1.0 + float(seconds)
    started = threading.Event()  # the readers start once the heartbeat has been written for a second
    lines = []
    lock = threading.Lock()

    def beat():
        c = psycopg2.connect(primary_dsn)
        c.autocommit = True
        nxt = time.time()
        with c.cursor() as cur:
            while time.time() < end + 0.5:
                cur.execute("update heartbeat set at = clock_timestamp() where id = 1")
                if time.time() > end - float(seconds):
                    started.set()
                nxt += 0.1
                time.sleep(max(0.0, nxt - time.time()))

    def read(name, dsn):
        c = psycopg2.connect(dsn)
        c.autocommit = True
        rnd = random.Random(name)
        started.wait(10)
        with c.cursor() as cur:
            while time.time() < end:
                cur.execute("select extract(epoch from clock_timestamp() - at) from heartbeat where id = 1")
                v = float(cur.fetchone()[0])
                with lock:
                    lines.append(f"{name} {time.time():.6f} {v:.6f}\n")
                time.sleep(rnd.uniform(0.05, 0.15))

    threads = [threading.Thread(target=beat)]
    for r in replicas:
        name, dsn = r.split("=", 1)
        threads.append(threading.Thread(target=read, args=(name, dsn)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with open(out, "w") as f:
        f.writelines(lines)


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "writer":
        writer(args[0], args[1], int(args[2]), float(args[3]) if len(args) > 3 else 0.01)
    elif cmd == "proxy":
        proxy(*args)
    elif cmd == "lag":
        lag(args[0], args[1], args[2], args[3:])
    else:
        sys.exit("usage: failover_client.py writer|proxy|lag ...")
