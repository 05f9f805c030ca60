/**
 * Tests that need a real peer (PostgreSQL, nginx, unbound, snmpd, …) ask for it here. On a
 * developer's laptop a missing peer skips the tests with a printed reason; under CI=true a
 * missing peer fails the run, because CI must prove the behaviour against the real thing.
 *
 *   const pg = await requirePeer('PostgreSQL on 127.0.0.1:5432', async () => { ...; return true });
 *   describe.skipIf(!pg)('postgres adapter', () => { ... });
 */
export async function requirePeer(name, probe) {
    let reason;
    try {
        const r = await probe();
        if (r === true)
            return true;
        reason = r;
    }
    catch (err) {
        reason = err instanceof Error ? err.message : String(err);
    }
    if (process.env.CI === 'true') {
        throw new Error(`required peer "${name}" is not available under CI=true: ${reason}`);
    }
    console.warn(`SKIP: tests needing ${name}: ${reason}`);
    return false;
}
/** Resolves when a TCP port accepts connections, or returns the reason it does not. */
export async function tcpReachable(host, port, timeoutMs = 1000) {
    const net = await import('node:net');
    return new Promise((resolve) => {
        const sock = net.connect({ host, port });
        const timer = setTimeout(() => {
            sock.destroy();
            resolve(`${host}:${port} did not answer within ${timeoutMs} ms`);
        }, timeoutMs);
        sock.once('connect', () => {
            clearTimeout(timer);
            sock.end();
            resolve(true);
        });
        sock.once('error', (err) => {
            clearTimeout(timer);
            resolve(`${host}:${port}: ${err.message}`);
        });
    });
}
/** True when an executable is on PATH (or at an absolute path), else the reason. */
export async function hasExecutable(cmd) {
    const { access, constants } = await import('node:fs/promises');
    const path = await import('node:path');
    const candidates = cmd.includes('/') ? [cmd] : (process.env.PATH ?? '').split(':').map((d) => path.join(d, cmd));
    for (const c of candidates) {
        try {
            await access(c, constants.X_OK);
            return true;
        }
        catch {
            /* next */
        }
    }
    return `${cmd} is not installed (see .ci/install-peers.sh)`;
}
//# sourceMappingURL=peer.js.map