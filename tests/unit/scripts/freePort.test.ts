import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { freePort } from '../../../scripts/freePort.mjs';

const ephemeralLow = () => Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
const bind = (port: number) =>
  new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });

describe('freePort', () => {
  it('picks a bindable loopback port below the ephemeral range, where no client socket is ever given one', async () => {
    // Act
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));

    // Assert
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(10_000);
      expect(port).toBeLessThan(ephemeralLow());
    }
    const server = await bind(ports[0]!);
    await new Promise((resolve) => server.close(resolve));
  });

  it('never returns a port a server holds', async () => {
    // Arrange: hold many ports of the range, then ask many times.
    const held = await Promise.all(Array.from({ length: 50 }, async () => bind(await freePort())));
    const heldPorts = new Set(held.map((server) => (server.address() as { port: number }).port));

    // Act
    const ports = await Promise.all(Array.from({ length: 50 }, () => freePort()));

    // Assert
    expect(ports.filter((port) => heldPorts.has(port))).toEqual([]);
    await Promise.all(held.map((server) => new Promise((resolve) => server.close(resolve))));
  });
});
