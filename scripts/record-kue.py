#!/usr/bin/env python3
"""Records what real Kue 0.11.6 writes to a real redis-server, for the kue layout test.

Runs crates/programs/tests/kue/creator.js, then processor.js (with `kue` from the npm
registry, installed in a temporary directory) against a redis-server on a free port,
with a subscriber on `q:events`, and writes crates/programs/tests/kue/recorded.txt:
every key with its type and contents, then every event published, in order. Nothing is
masked here: the test (crates/programs/tests/kue.rs) masks times, durations, worker
host/pid and stack traces on both sides with the same code.

Line format: `KEY name type`, then `  field value` (hash), `  score member` (zset),
`  item` (list, set sorted, string); `EVENT payload`. Backslashes and newlines in values
are escaped as \\\\ and \\n.
"""
import os, shutil, socket, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CASE = os.path.join(ROOT, 'crates', 'programs', 'tests', 'kue')


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def esc(s):
    return s.replace('\\', '\\\\').replace('\n', '\\n')


def cli(port, *args):
    out = subprocess.run(['redis-cli', '-p', str(port), '--no-raw', *args], check=True,
                         capture_output=True).stdout
    return out


def raw(port, *args):
    """Reply lines of redis-cli --raw can't carry newlines safely: use a RESP reader."""
    with socket.create_connection(('127.0.0.1', port)) as s:
        parts = [a.encode() for a in args]
        s.sendall(b'*%d\r\n' % len(parts) + b''.join(b'$%d\r\n%s\r\n' % (len(p), p) for p in parts))
        f = s.makefile('rb')
        return read_reply(f)


def read_reply(f):
    line = f.readline()
    kind, rest = line[:1], line[1:-2]
    if kind in (b'+', b'-'):
        return rest.decode()
    if kind == b':':
        return int(rest)
    if kind == b'$':
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)[:-2]
        return data.decode()
    if kind == b'*':
        return [read_reply(f) for _ in range(int(rest))]
    raise ValueError(line)


def main():
    work = tempfile.mkdtemp(prefix='kue-record-')
    try:
        subprocess.run(['npm', 'install', '--silent', '--prefix', work, 'kue@0.11.6'], check=True)
        for name in ('creator.js', 'processor.js'):
            shutil.copy(os.path.join(CASE, name), work)
        port = free_port()
        server = subprocess.Popen(['redis-server', '--port', str(port), '--save', '', '--appendonly', 'no'],
                                  stdout=subprocess.DEVNULL)
        try:
            for _ in range(50):
                try:
                    if raw(port, 'PING') == 'PONG':
                        break
                except OSError:
                    time.sleep(0.1)
            sub = socket.create_connection(('127.0.0.1', port))
            sub.sendall(b'*2\r\n$9\r\nSUBSCRIBE\r\n$8\r\nq:events\r\n')
            subf = sub.makefile('rb')
            read_reply(subf)
            env = dict(os.environ, REDIS_PORT=str(port), NODE_PATH=os.path.join(work, 'node_modules'))
            subprocess.run(['node', 'creator.js'], cwd=work, env=env, check=True)
            subprocess.run(['node', 'processor.js'], cwd=work, env=env, check=True)
            sub.settimeout(0.5)
            events = []
            try:
                while True:
                    msg = read_reply(subf)
                    events.append(msg[2])
            except (socket.timeout, OSError):
                pass
            lines = []
            for key in sorted(raw(port, 'KEYS', '*')):
                t = raw(port, 'TYPE', key)
                lines.append(f'KEY {key} {t}')
                if t == 'hash':
                    flat = raw(port, 'HGETALL', key)
                    pairs = sorted(zip(flat[0::2], flat[1::2]))
                    lines += [f'  {esc(k)} {esc(v)}' for k, v in pairs]
                elif t == 'zset':
                    flat = raw(port, 'ZRANGE', key, '0', '-1', 'WITHSCORES')
                    lines += [f'  {s} {esc(m)}' for m, s in zip(flat[0::2], flat[1::2])]
                elif t == 'list':
                    lines += [f'  {esc(v)}' for v in raw(port, 'LRANGE', key, '0', '-1')]
                elif t == 'set':
                    lines += [f'  {esc(v)}' for v in sorted(raw(port, 'SMEMBERS', key))]
                elif t == 'string':
                    lines.append(f'  {esc(raw(port, "GET", key))}')
            lines += [f'EVENT {esc(e)}' for e in events]
            with open(os.path.join(CASE, 'recorded.txt'), 'w') as out:
                out.write('\n'.join(lines) + '\n')
            print(f'recorded {len(lines)} lines, {len(events)} events')
        finally:
            server.terminate()
            server.wait()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
