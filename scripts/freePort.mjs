// A free loopback port for the local API, the harness and the tests, for a server that binds it a
// little later (often another process).
//
// Not the kernel's pick for port 0: that comes from the ephemeral range, which every outgoing
// connection draws its local port from too, so on a busy machine a port picked that way is sometimes
// taken by a client socket before the server binds it (seen: etcd failing "bind: address already in
// use" while two test files ran at once). A random port below the ephemeral range is never handed to
// a client socket, and two callers picking at once rarely pick the same one.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Linux's default when /proc says nothing (other systems start theirs higher still). */
const DEFAULT_EPHEMERAL_LOW = 32768;
const LOWEST = 10000;

function ephemeralLow() {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return Number.isInteger(low) && low > 0 ? low : DEFAULT_EPHEMERAL_LOW;
  } catch {
    return DEFAULT_EPHEMERAL_LOW;
  }
}

/** Resolves with the port bound, or undefined when it is in use; `0` lets the kernel pick. */
function tryBind(port) {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error) => (error.code === 'EADDRINUSE' || error.code === 'EACCES' ? resolve(undefined) : reject(error)));
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : undefined));
    });
  });
}

/** @returns {Promise<number>} */
export async function freePort() {
  const high = ephemeralLow() - 1;
  if (high - LOWEST >= 1000) {
    for (let attempt = 0; attempt < 50; attempt += 1) {
      const port = await tryBind(LOWEST + Math.floor(Math.random() * (high - LOWEST + 1)));
      if (port) return port;
    }
  }
  // A machine whose ephemeral range starts low (or whose low ports are all taken): the kernel's pick.
  const port = await tryBind(0);
  if (!port) throw new Error('no free loopback port');
  return port;
}
