// A TokenReview webhook that stands in for EKS's authenticator: kube-apiserver sends it every bearer
// token it does not know, and it answers the way EKS would for `k8s-aws-v1.` tokens.
//
// Real EKS (aws-iam-authenticator, pkg/token/token.go) checks the token's shape and then forwards the
// presigned URL to STS, which checks the signature and names the caller. Tests cannot reach STS, and
// moto would route a presigned GET to S3, so this webhook does STS's part itself: the harness handed
// out the access keys, so it can recompute the SigV4 signature with the matching secret.
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A key pair the harness gave out, and the STS identity GetCallerIdentity would return for it. */
export interface HarnessAccessKey {
  secretAccessKey: string;
  /** e.g. arn:aws:iam::123456789012:role/irsa-broker-lambda or an assumed-role ARN */
  arn: string;
  /** Set for temporary credentials: the token must then carry exactly this X-Amz-Security-Token. */
  sessionToken?: string;
}

/** What an EKS access entry grants an IAM principal inside the cluster. */
export interface AccessEntry {
  username: string;
  groups: string[];
}

export interface EksTokenWebhookOptions {
  /** The name the token must have signed into its x-k8s-aws-id header. */
  clusterName: string;
  /** Read on every review, so a test may add or remove keys while the webhook runs. */
  keys: Record<string, HarnessAccessKey>;
  /**
   * IAM ARN (the role ARN for assumed roles, as access entries use) → Kubernetes user. Read on every
   * review too; kube-apiserver caches successful authentications for 10 s, so a removed mapping
   * only bites tokens it has not seen yet.
   */
  mappings: Record<string, AccessEntry>;
  /** Clock for expiry checks; tests of the webhook itself can pin it. */
  now?: () => Date;
}

/** One decision, for assertions and for debugging a 401; holds a fingerprint, never the token. */
export interface TokenReviewRecord {
  at: string;
  tokenSha256: string;
  authenticated: boolean;
  accessKeyId?: string;
  arn?: string;
  username?: string;
  groups?: string[];
  error?: string;
}

export interface EksTokenWebhook {
  /** For the apiserver's webhook kubeconfig. */
  url: string;
  reviews: () => TokenReviewRecord[];
  stop: () => Promise<void>;
}

export const EKS_TOKEN_PREFIX = 'k8s-aws-v1.';
/** aws-iam-authenticator's maxTokenLenBytes. */
const MAX_TOKEN_BYTES = 4096;
/** STS accepts a presigned GetCallerIdentity for 15 minutes after X-Amz-Date, whatever X-Amz-Expires says. */
const TOKEN_LIFETIME_MS = 15 * 60_000;
/** STS refuses requests dated too far ahead; SigV4's documented clock skew allowance is 5 minutes. */
const MAX_CLOCK_SKEW_MS = 5 * 60_000;
const CLUSTER_ID_HEADER = 'x-k8s-aws-id';
/** aws-iam-authenticator's parameterWhitelist, compared in lower case. */
const ALLOWED_QUERY_KEYS = new Set([
  'action',
  'version',
  'x-amz-algorithm',
  'x-amz-credential',
  'x-amz-date',
  'x-amz-expires',
  'x-amz-security-token',
  'x-amz-signature',
  'x-amz-signedheaders',
]);
/** Parameters SignatureV4.presign writes itself; everything else in the query is signed as given. */
const SIGNING_QUERY_KEYS = new Set([...ALLOWED_QUERY_KEYS].filter((key) => key.startsWith('x-amz-')));
/** The only headers a GetCallerIdentity URL can have signed and still be replayed by the authenticator. */
const EXPECTED_SIGNED_HEADERS = `host;${CLUSTER_ID_HEADER}`;

/** Messages carry aws-iam-authenticator's prefixes, so a 401 reads the same as on EKS. */
class TokenRejected extends Error {
  override name = 'TokenRejected';
}

const reject = (message: string): never => {
  throw new TokenRejected(`input token was not properly formatted: ${message}`);
};
const rejectSts = (message: string): never => {
  throw new TokenRejected(`sts getCallerIdentity failed: ${message}`);
};

/**
 * The STS host's signing region. Global sts.amazonaws.com signs as us-east-1; China's regions live
 * under amazonaws.com.cn and nowhere else (the authenticator's partition check).
 */
function stsRegion(host: string): string {
  if (host === 'sts.amazonaws.com') return 'us-east-1';
  const match = /^sts\.([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com(\.cn)?$/.exec(host);
  if (!match) return reject(`unexpected hostname "${host}" in pre-signed URL`);
  const region = match[1] as string;
  if (region.startsWith('cn-') !== Boolean(match[2])) return reject(`partition does not support hostname ${host}`);
  return region;
}

/** Go's url.ParseQuery semantics: '+' is a space, bad escapes and raw ';' are errors. */
function parseQuery(raw: string): Array<[string, string]> {
  if (raw === '') return [];
  if (raw.includes(';')) return reject('malformed query parameter');
  return raw.split('&').map((pair) => {
    const eq = pair.indexOf('=');
    const [key, value] = eq < 0 ? [pair, ''] : [pair.slice(0, eq), pair.slice(eq + 1)];
    try {
      return [decodeURIComponent(key.replace(/\+/g, ' ')), decodeURIComponent(value.replace(/\+/g, ' '))];
    } catch {
      return reject('malformed query parameter');
    }
  });
}

/** 20060102T150405Z → Date, refusing impossible dates that Date.UTC would roll over. */
function parseAmzDate(value: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  const date = m ? new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!)) : undefined;
  if (
    !date ||
    date
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d{3}/, '') !== value
  ) {
    return reject(`error parsing X-Amz-Date parameter ${value}`);
  }
  return date;
}

/** assumed-role ARNs name a session; access entries name the role (what aws-iam-authenticator calls canonical). */
export function canonicalArn(arn: string): string {
  const assumed = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/.exec(arn);
  return assumed ? `arn:${assumed[1]}:iam::${assumed[2]}:role/${assumed[3]}` : arn;
}

interface VerifiedToken {
  accessKeyId: string;
  key: HarnessAccessKey;
}

/** aws-iam-authenticator's Verify, with STS's signature check in place of the HTTP call. */
async function verifyToken(token: string, options: EksTokenWebhookOptions, now: Date): Promise<VerifiedToken> {
  if (Buffer.byteLength(token) > MAX_TOKEN_BYTES) reject('token is too large');
  if (!token.startsWith(EKS_TOKEN_PREFIX)) reject(`token is missing expected "${EKS_TOKEN_PREFIX}" prefix`);
  const encoded = token.slice(EKS_TOKEN_PREFIX.length);
  // Buffer's base64url decoder skips characters it does not know; Go's RawURLEncoding refuses them,
  // refuses padding, and refuses a length that leaves a lone 6-bit group.
  if (!/^[A-Za-z0-9_-]*$/.test(encoded) || encoded.length % 4 === 1) reject('illegal base64 data');
  const url = Buffer.from(encoded, 'base64url').toString('utf8');

  // Parsed by hand rather than with WHATWG URL, which would quietly drop a :443 port, fill in an
  // empty path and lower-case the host: all things Go's url.Parse keeps and the authenticator refuses.
  const parts = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?(#.*)?$/.exec(url);
  if (!parts) return reject('pre-signed URL is not an absolute URL');
  const [, scheme, host, path, rawQuery = '', fragment] = parts as unknown as [string, string, string, string, string?, string?];
  if (scheme.toLowerCase() !== 'https') reject(`unexpected scheme "${scheme}" in pre-signed URL`);
  const region = stsRegion(host);
  if (path !== '/') reject('unexpected path in pre-signed URL');
  if (fragment) reject('unexpected fragment in pre-signed URL');

  const query = new Map<string, string>();
  const originalQuery: Record<string, string> = {};
  for (const [key, value] of parseQuery(rawQuery)) {
    const lower = key.toLowerCase();
    if (!ALLOWED_QUERY_KEYS.has(lower)) reject(`non-whitelisted query parameter "${key}"`);
    if (query.has(lower)) reject(`duplicate query parameter found: "${key}"`);
    query.set(lower, value);
    if (!SIGNING_QUERY_KEYS.has(lower)) originalQuery[key] = value;
  }
  if (query.get('action') !== 'GetCallerIdentity') reject('unexpected action parameter in pre-signed URL');
  // The authenticator leaves Version to STS, which has exactly one.
  if (query.get('version') !== '2011-06-15') rejectSts('missing or unsupported Version parameter in pre-signed URL');
  const signedHeaders = query.get('x-amz-signedheaders') ?? '';
  if (!signedHeaders.split(';').some((name) => name.toLowerCase() === CLUSTER_ID_HEADER)) {
    reject(`client did not sign the ${CLUSTER_ID_HEADER} header in the pre-signed URL`);
  }
  const expiresText = query.get('x-amz-expires') ?? '';
  const expires = /^[+-]?\d+$/.test(expiresText) ? Number(expiresText) : NaN;
  if (!(expires >= 0 && expires <= 900)) reject(`invalid X-Amz-Expires parameter in pre-signed URL: ${expiresText}`);
  const dateText = query.get('x-amz-date');
  if (!dateText) return reject('X-Amz-Date parameter must be present in pre-signed URL');
  const signedAt = parseAmzDate(dateText);
  if (now.getTime() > signedAt.getTime() + TOKEN_LIFETIME_MS) reject(`X-Amz-Date parameter is expired (15 minute expiration) ${dateText}`);
  if (signedAt.getTime() > now.getTime() + MAX_CLOCK_SKEW_MS) reject(`X-Amz-Date parameter is in the future: ${dateText}`);

  // From here on these are STS's checks (SignatureDoesNotMatch, InvalidClientTokenId, ...).
  if (query.get('x-amz-algorithm') !== 'AWS4-HMAC-SHA256') rejectSts('unsupported X-Amz-Algorithm');
  const [accessKeyId = '', scopeDate, scopeRegion, scopeService, terminator, ...extra] = (query.get('x-amz-credential') ?? '').split('/');
  if (extra.length > 0 || scopeDate !== dateText.slice(0, 8) || scopeService !== 'sts' || terminator !== 'aws4_request') {
    rejectSts('malformed X-Amz-Credential scope');
  }
  if (scopeRegion !== region) rejectSts(`credential scope region ${scopeRegion} does not match ${host}`);
  const key = Object.hasOwn(options.keys, accessKeyId) ? options.keys[accessKeyId] : undefined;
  if (!key) return rejectSts(`the security token included in the request is invalid (unknown access key ${accessKeyId})`);
  const sessionToken = query.get('x-amz-security-token');
  if (sessionToken !== key.sessionToken) rejectSts('X-Amz-Security-Token does not belong to the access key');
  // A header the authenticator does not forward could never verify at STS, so only these two count.
  if (signedHeaders !== EXPECTED_SIGNED_HEADERS) rejectSts(`X-Amz-SignedHeaders must be ${EXPECTED_SIGNED_HEADERS}, got ${signedHeaders}`);

  // Presign the same request again: same date, expiry, region and query, our cluster name in the
  // header. A token signed for another cluster differs only in that header, so it fails here.
  const signer = new SignatureV4({
    credentials: { accessKeyId, secretAccessKey: key.secretAccessKey, sessionToken: key.sessionToken },
    region,
    service: 'sts',
    sha256: Sha256,
  });
  const expected = await signer.presign(
    {
      method: 'GET',
      protocol: 'https:',
      hostname: host,
      path: '/',
      query: originalQuery,
      headers: { host, [CLUSTER_ID_HEADER]: options.clusterName },
    },
    { signingDate: signedAt, expiresIn: expires },
  );
  const givenText = query.get('x-amz-signature') ?? '';
  if (!/^[0-9a-f]{64}$/.test(givenText)) rejectSts('X-Amz-Signature is not a SigV4 signature');
  const wanted = Buffer.from(String(expected.query?.['X-Amz-Signature']), 'utf8');
  const given = Buffer.from(givenText, 'utf8');
  // Constant time, as STS does: a timing oracle on signatures is what SigV4 comparisons must avoid.
  if (wanted.length !== given.length || !timingSafeEqual(wanted, given)) {
    rejectSts(`signature does not match (signed with another secret, or for a cluster other than ${options.clusterName})`);
  }
  return { accessKeyId, key };
}

/** Reads a JSON body of at most 1 MiB; the apiserver never sends more than a token. */
async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > 1 << 20) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/**
 * Starts the webhook on a free loopback port. Plain http: kube-apiserver's webhook kubeconfig
 * accepts it, and the token crosses only the loopback interface.
 */
export async function startEksTokenWebhook(options: EksTokenWebhookOptions): Promise<EksTokenWebhook> {
  const now = options.now ?? (() => new Date());
  const log: TokenReviewRecord[] = [];

  async function review(token: string): Promise<Omit<TokenReviewRecord, 'at' | 'tokenSha256'>> {
    let verified: VerifiedToken;
    try {
      verified = await verifyToken(token, options, now());
    } catch (error) {
      if (error instanceof TokenRejected) return { authenticated: false, error: error.message };
      throw error;
    }
    const { accessKeyId, key } = verified;
    const entry = options.mappings[canonicalArn(key.arn)] ?? options.mappings[key.arn];
    // EKS answers 401 for a valid AWS identity that has no access entry, as for a bad token.
    if (!entry) return { authenticated: false, accessKeyId, arn: key.arn, error: `ARN is not mapped: ${key.arn}` };
    return { authenticated: true, accessKeyId, arn: key.arn, username: entry.username, groups: [...entry.groups] };
  }

  const server = createServer((request, response) => {
    void (async () => {
      if (request.method !== 'POST') return send(response, 405, { error: 'POST a TokenReview' });
      let body: any;
      try {
        body = await readJson(request);
      } catch (error) {
        return send(response, 400, { error: `unreadable TokenReview: ${(error as Error).message}` });
      }
      const apiVersion = body?.apiVersion;
      const token = body?.spec?.token;
      if (body?.kind !== 'TokenReview' || !/^authentication\.k8s\.io\/v1(beta1)?$/.test(apiVersion) || typeof token !== 'string') {
        return send(response, 400, { error: 'expected an authentication.k8s.io TokenReview with spec.token' });
      }
      const decision = await review(token);
      log.push({ at: new Date().toISOString(), tokenSha256: createHash('sha256').update(token).digest('hex').slice(0, 16), ...decision });
      const status = decision.authenticated
        ? {
            authenticated: true,
            // uid and extra mirror what aws-iam-authenticator puts on the user; the access key
            // stands in for the unique principal id (AROA…) that only real STS knows.
            user: {
              username: decision.username,
              uid: `aws-iam-authenticator:${decision.arn?.split(':')[4]}:${decision.accessKeyId}`,
              groups: decision.groups,
              extra: { accessKeyId: [decision.accessKeyId], arn: [decision.arn], canonicalArn: [canonicalArn(decision.arn ?? '')] },
            },
          }
        : { authenticated: false, error: decision.error };
      // Same apiVersion back: the apiserver decodes the reply as the version it sent.
      send(response, 200, { apiVersion, kind: 'TokenReview', status });
    })().catch((error: Error) => {
      if (!response.headersSent) send(response, 500, { error: error.message });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/authenticate`,
    reviews: () => log.map((record) => ({ ...record })),
    stop: () =>
      new Promise<void>((resolve) => {
        // The apiserver keeps its connection alive; without this close() would wait for it.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
