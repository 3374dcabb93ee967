// Mints an UNSIGNED token for the local API, whose functions check issuer, audience and expiry
// (exp is required) but not signatures. Useless against a deployment. --groups a,b becomes the
// real array ["a","b"] in the token, as an identity provider sends it.
// Usage: node scripts/local-token.mjs --sub alice [--email alice@example.com] [--groups a,b] [--ttl 3600]
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    sub: { type: 'string' },
    email: { type: 'string' },
    groups: { type: 'string', default: '' },
    ttl: { type: 'string', default: '3600' },
    issuer: { type: 'string', default: process.env.IRSA_BROKER_JWT_ISSUER ?? 'https://auth.irsa-broker.local' },
    audience: { type: 'string', default: process.env.IRSA_BROKER_JWT_AUDIENCE ?? 'irsa-broker' },
  },
});
if (!values.sub) {
  console.error('usage: node scripts/local-token.mjs --sub NAME [--email EMAIL] [--groups a,b] [--ttl SECONDS]');
  process.exit(2);
}
// The local API refuses tokens without a future exp, as a deployed authorizer would.
const ttl = Number(values.ttl);
if (!Number.isInteger(ttl) || ttl <= 0) {
  console.error('--ttl must be a positive number of seconds: the local API refuses tokens that never expire');
  process.exit(2);
}
const now = Math.floor(Date.now() / 1000);
const claims = {
  iss: values.issuer,
  aud: values.audience,
  sub: values.sub,
  iat: now,
  exp: now + ttl,
  groups: values.groups.split(',').filter(Boolean),
  ...(values.email ? { email: values.email } : {}),
};
const encode = (part) => Buffer.from(JSON.stringify(part)).toString('base64url');
process.stdout.write(`${encode({ alg: 'none', typ: 'JWT' })}.${encode(claims)}.unsigned`);
