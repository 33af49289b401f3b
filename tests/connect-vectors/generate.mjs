// Generates Atlassian Connect test vectors for crates/forge-remote-auth with an independent implementation:
// the npm package `atlassian-jwt` (the qsh and JWT code that atlassian-connect-express uses).
//
//   cd tests/connect-vectors && npm install && node generate.mjs
//
// Writes (all committed, so CI needs no Node):
//   crates/forge-remote-auth/tests/vectors/qsh.json             canonical request + qsh from (key, value) pairs
//   crates/forge-remote-auth/tests/vectors/qsh-raw.json         the same from a raw query string (Node querystring)
//   crates/forge-remote-auth/tests/vectors/qsh-divergences.json where atlassian-jwt / qs differ from our choices
//   crates/forge-remote-auth/tests/vectors/connect-jwt.json     HS256 Connect JWTs signed by atlassian-jwt
//   crates/forge-remote-auth/tests/vectors/signed-install.json  RS256 lifecycle JWTs signed by atlassian-jwt
//
// Output is deterministic: fixed times, a fixed shared secret, and a committed test-only RSA key
// (test-install-key.pem, generated on the first run). Nothing here is a real secret.

import { createRequire } from 'node:module';
import { createHash, createHmac, generateKeyPairSync, createPublicKey } from 'node:crypto';
import { readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import querystring from 'node:querystring';

const require = createRequire(import.meta.url);
const jwt = require('atlassian-jwt');
let qsLib = null;
try {
  qsLib = require('qs'); // what Express (and so atlassian-connect-express) parses req.query with
} catch {
  qsLib = null;
}
let aceUtils = null;
try {
  // ACE's own qsh check (lib/internal/utils.js validateQshFromRequest) calls atlassian-jwt; load it to prove
  // the two agree on our Connect JWT vectors.
  aceUtils = require('atlassian-connect-express/lib/internal/utils.js');
} catch {
  aceUtils = null;
}

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', '..', 'crates', 'forge-remote-auth', 'tests', 'vectors');
mkdirSync(out, { recursive: true });

const APP_HOST = 'https://linkmap.example.com';

// ------------------------------------------------------------------------------------------------------------
// Our canonicalisation choices that atlassian-jwt does not make itself, applied to its *inputs* (never to its
// output), so every `canonical` below is atlassian-jwt's own answer.

/** Base path without trailing slashes ("/" and "" both mean "no base path"). */
function normBase(base) {
  return base.replace(/\/+$/, '');
}

/** Segment-wise prefix test: `/jira-app` is a prefix of `/jira-app/x` and `/jira-app`, not of `/jira-apple`. */
function segmentPrefix(path, base) {
  const b = normBase(base);
  return b !== '' && (path === b || path.startsWith(b + '/'));
}

/** The base URL handed to atlassian-jwt: with the base path only when it is a segment prefix of the path. */
function baseUrlFor(path, base) {
  return segmentPrefix(path, base) ? APP_HOST + normBase(base) : APP_HOST;
}

function sha256Hex(s) {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

/** (key, value) pairs → the object shape atlassian-jwt takes (repeated keys → arrays, in order). */
function pairsToQuery(pairs) {
  const q = {};
  for (const [k, v] of pairs) {
    if (Object.prototype.hasOwnProperty.call(q, k)) {
      q[k] = Array.isArray(q[k]) ? [...q[k], v] : [q[k], v];
    } else {
      q[k] = v;
    }
  }
  return q;
}

/** Object query → pairs (keys in insertion order, array values in order). */
function queryToPairs(q) {
  const pairs = [];
  for (const k of Object.keys(q)) {
    const v = q[k];
    if (Array.isArray(v)) for (const x of v) pairs.push([k, String(x)]);
    else pairs.push([k, String(v)]);
  }
  return pairs;
}

const divergences = [];

function qshVector(method, path, pairs, base) {
  const req = { method, pathname: path, query: pairsToQuery(pairs) };
  const canonical = jwt.createCanonicalRequest(req, false, baseUrlFor(path, base));
  const qsh = jwt.createQueryStringHash(req, false, baseUrlFor(path, base));
  if (qsh !== sha256Hex(canonical)) throw new Error('qsh is not sha256(canonical)');
  // What atlassian-jwt does with the base URL as given (string-prefix stripping, trailing slash kept).
  if (base !== '') {
    const raw = jwt.createCanonicalRequest(req, false, APP_HOST + base);
    if (raw !== canonical) {
      divergences.push({
        rule: 'base path is stripped by segment, and a trailing slash on the base path is ignored',
        method, path, query: pairs, base_path: base,
        ours: canonical,
        atlassian_jwt_with_base_url_as_given: raw,
      });
    }
  }
  return { method, path, query: pairs, base_path: base, canonical, qsh };
}

// ------------------------------------------------------------------------------------------------------------
// qsh vectors from (key, value) pairs

const P = (method, path, pairs, base = '') => qshVector(method, path, pairs, base);

const qshVectors = [
  // FORGE-CONTRACT.md §2: Atlassian jwt-api javadoc and the Bitbucket QSH page.
  P('GET', '/path/to/service', [['zee_last', 'param'], ['repeated', 'parameter 2'], ['first', 'param'], ['repeated', 'parameter 1']]),
  P('GET', '/', [['param', 'foo']]),
  P('POST', '/user', []),

  // method
  P('get', '/rest/api/3/issue', [['a', '1']]),
  P('Post', '/connect/installed', []),
  P('patch', '/x', []),
  P('delete', '/rest/api/3/issue/10001', [['deleteSubtasks', 'true']]),

  // path: base path stripped by segment
  P('GET', '/jira-app/rest/thing', [['a', 'b']], '/jira-app'),
  P('GET', '/jira-apple/rest/thing', [['a', 'b']], '/jira-app'),
  P('GET', '/jira-app', [], '/jira-app'),
  P('GET', '/jira-app/', [], '/jira-app'),
  P('GET', '/jira-app/x/', [], '/jira-app/'),
  P('GET', '/jira-app', [], '/jira-app/'),
  P('POST', '/apps/linkmap/connect/installed', [], '/apps/linkmap'),
  P('POST', '/apps/linkmapper/connect/installed', [], '/apps/linkmap'),
  P('GET', '/jira-app&x/y', [], '/jira-app'),
  P('GET', '/x/jira-app/y', [], '/jira-app'),
  P('GET', '/anything', [], '/'),

  // path: empty → "/", leading slash added, `&` → %26, trailing slash dropped except for "/"
  P('GET', '', []),
  P('GET', '/', []),
  P('GET', 'rest/api', []),
  P('GET', '/a&b/c&d', []),
  P('GET', '/rest/api/', []),
  P('GET', '//double//slashes/', []),
  P('GET', '/issue/a%20b/%C3%A9', [['x', '1']]),

  // query: `jwt` dropped, `JWT` kept
  P('GET', '/x', [['jwt', 'eyJ.abc.def'], ['a', '1']]),
  P('GET', '/x', [['jwt', 'eyJ.abc.def']]),
  P('GET', '/x', [['JWT', 'kept'], ['jwt', 'dropped']]),

  // query: keys sorted (raw keys, before encoding; UTF-16 code units, as JavaScript sorts)
  P('GET', '/x', [['b', '2'], ['a', '1'], ['C', '3'], ['_', '4'], ['a-b', '5'], ['a.b', '6'], ['a~', '7']]),
  P('GET', '/x', [['a\u00e9', '1'], ['a~', '2']]),
  P('GET', '/x', [['\uff61', 'bmp'], ['\u{1F600}', 'astral']]),
  P('GET', '/x', [['a', '1'], ['a b', '2'], ['a+b', '3']]),

  // query: RFC 3986 encoding of keys and values
  P('GET', '/x', [['q', 'a b'], ['star', '*'], ['tilde', '~'], ['bang', "!'()"]]),
  P('GET', '/x', [['reserved', ":/?#[]@$&+,;="], ['pct', '100%']]),
  P('GET', '/x', [['unreserved', 'AZaz09-._~']]),
  P('GET', '/x', [['u', '\u00e9\u65e5\u672c\u{1F600}']]),
  P('GET', '/x', [['my key', 'v'], ['k=', '=v'], ['k&', '&v']]),
  P('GET', '/x', [['plus', 'a+b'], ['comma', 'a,b']]),

  // query: repeated keys' values sorted (raw values, before encoding) and joined with ","
  P('GET', '/x', [['r', 'z'], ['r', 'a'], ['r', 'm']]),
  P('GET', '/x', [['r', '\u00e9'], ['r', '~']]),
  P('GET', '/x', [['r', '10'], ['r', '9'], ['r', '2']]),
  P('GET', '/x', [['r', '1'], ['r', '1']]),
  P('GET', '/x', [['r', 'x'], ['r', '']]),
  P('GET', '/x', [['r', 'b,c'], ['r', 'a']]),
  P('GET', '/x', [['r', 'B'], ['r', 'a'], ['r', '_']]),

  // query: a key without a value
  P('GET', '/x', [['flag', '']]),
  P('GET', '/x', [['flag', ''], ['a', '1'], ['z', '']]),

  // everything at once
  P('put', '/jira-app/rest/api/3/issue/PROJ-1/', [['expand', 'names'], ['fields', 'summary'], ['fields', 'assignee'], ['jwt', 't'], ['lang', 'fr CA']], '/jira-app'),
  P('GET', '/jira-app/atlassian-connect/iframe', [['xdm_e', 'https://example.atlassian.net'], ['xdm_c', 'channel-1'], ['cp', ''], ['lic', 'none'], ['cv', '1001.0.0-SNAPSHOT'], ['project.key', 'PROJ'], ['issue.id', '10001']], '/jira-app'),
];

// ------------------------------------------------------------------------------------------------------------
// qsh vectors from raw query strings, parsed as atlassian-jwt's own fromMethodAndUrl does (Node's legacy
// url.parse + querystring: `+` is a space, invalid escapes stay literal, invalid UTF-8 becomes U+FFFD).

function rawVector(method, path, rawQuery, base = '') {
  const url = APP_HOST + path + (rawQuery === null ? '' : '?' + rawQuery);
  const req = jwt.fromMethodAndUrl(method, url);
  if (req.pathname !== (path === '' ? '/' : path)) throw new Error(`url.parse changed the path ${path} → ${req.pathname}`);
  const viaQuerystring = querystring.parse(rawQuery ?? '');
  if (JSON.stringify(viaQuerystring) !== JSON.stringify(req.query)) throw new Error(`url.parse is not querystring for ${rawQuery}: ${JSON.stringify(req.query)} vs ${JSON.stringify(viaQuerystring)}`);
  // Recorded before canonicalising: atlassian-jwt sorts repeated values in place (Array.prototype.sort).
  const pairs = queryToPairs(req.query);
  const canonical = jwt.createCanonicalRequest(req, false, baseUrlFor(req.pathname, base));
  const qsh = jwt.createQueryStringHash(req, false, baseUrlFor(req.pathname, base));
  if (qsLib) {
    const viaQs = qsLib.parse(rawQuery ?? ''); // (parsed afresh: the in-place sort above does not reach it)
    const qsCanonical = jwt.createCanonicalRequest({ ...req, query: viaQs }, false, baseUrlFor(req.pathname, base));
    if (qsCanonical !== canonical) {
      divergences.push({
        rule: 'raw query parsed like WHATWG / Node querystring (what atlassian-jwt.fromMethodAndUrl does), not like qs (Express req.query)',
        method, path, raw_query: rawQuery, base_path: base,
        ours: canonical,
        qs_express: qsCanonical,
      });
    }
  }
  return {
    method, path, raw_query: rawQuery ?? '', base_path: base,
    query: pairs, canonical, qsh,
  };
}

const R = rawVector;
const rawVectors = [
  R('GET', '/path/to/service', 'zee_last=param&repeated=parameter%202&first=param&repeated=parameter+1'),
  R('GET', '/', 'param=foo'),
  R('POST', '/user', null),
  R('POST', '/user', ''),
  R('GET', '/x', 'a=b+c'),
  R('GET', '/x', 'a=b%2Bc'),
  R('GET', '/x', 'a+b=1'),
  R('GET', '/x', 'flag'),
  R('GET', '/x', 'flag='),
  R('GET', '/x', 'a=1&a=2&b'),
  R('GET', '/x', 'a=%zz'),
  R('GET', '/x', 'a=%2'),
  R('GET', '/x', 'a=%C3%A9'),
  R('GET', '/x', 'a=%c3%a9'),
  R('GET', '/x', 'a=%e9'),
  R('GET', '/x', '&&a=1&'),
  R('GET', '/x', '=x'),
  R('GET', '/x', 'jwt=xyz&a=1'),
  R('GET', '/x', 'a=1=2'),
  R('GET', '/x', 'a[]=1&a[]=2'),
  R('GET', '/x', 'A=1&a=2'),
  R('GET', '/x', "q=~*'()!"),
  R('GET', '/x', '%61=1'),
  R('GET', '/x', 'a=1;b=2'),
  R('GET', '/x', 'a=%20%20&b=%2520'),
  R('GET', '/x', 'r=%7E&r=%C3%A9'),
  R('GET', '/jira-app/rest/x/', 'b=2&a=1', '/jira-app'),
];

// ------------------------------------------------------------------------------------------------------------
// HS256 Connect JWTs, signed by atlassian-jwt.

const SECRET = 'connect-vectors-shared-secret-not-a-real-one-0123456789';
const OTHER_SECRET = 'made-up-secret';
const CLIENT_KEY = 'c6f6f6a4-2a43-3d4f-9c7e-0123456789ab';
const APP_KEY = 'com.example.linkmap';
const IAT = 1700000000;
const EXP_FUTURE = 4102444800; // 2100-01-01
const EXP_PAST = 1000000000; // 2001

function b64url(s) {
  return Buffer.from(s).toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Exactly these header and payload texts, HMAC-SHA256 with `secret` (for shapes atlassian-jwt cannot emit). */
function rawHs256(headerText, payloadText, secret) {
  const input = b64url(headerText) + '.' + b64url(payloadText);
  const sig = createHmac('sha256', secret).update(input).digest('base64')
    .replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  return input + '.' + sig;
}

function qshFor(method, path, pairs, base) {
  return jwt.createQueryStringHash({ method, pathname: path, query: pairsToQuery(pairs) }, false, baseUrlFor(path, base));
}

const BASE_PATH = '/jira-app';
const BASE_URL = APP_HOST + BASE_PATH;

function claims(method, path, pairs, extra = {}) {
  return { iss: CLIENT_KEY, iat: IAT, exp: EXP_FUTURE, qsh: qshFor(method, path, pairs, BASE_PATH), ...extra };
}

/** A request + token; `expect` is "accept" or the name of the `Error` variant the Rust side must return. */
function jwtCase(name, method, path, pairs, token, expect, mode = 'computed') {
  // Cross-check every accepted computed-qsh token with ACE's own validator where it loaded.
  if (aceUtils && expect === 'accept') {
    const verified = jwt.decodeSymmetric(token, SECRET, jwt.SymmetricAlgorithm.HS256);
    const fakeReq = { method, originalUrl: path + (pairs.length ? '?' + new URLSearchParams(pairs).toString().replace(/\+/g, '%20') : ''), query: pairsToQuery(pairs) };
    const fakeAddon = { config: { baseUrl: { href: BASE_URL } }, logger: { error() {} } };
    if (verified.qsh !== 'context-qsh' && !aceUtils.validateQshFromRequest(verified, fakeReq, fakeAddon)) {
      throw new Error(`ACE refuses the qsh of ${name}`);
    }
  }
  return { name, method, path, query: pairs, qsh_mode: mode, token, expect };
}

const GET_PATH = BASE_PATH + '/rest/linkmap/1/maps';
const GET_Q = [['projectKey', 'PROJ'], ['b', 'x y'], ['a', '1'], ['a', '0']];
const sym = (payload, alg = 'HS256', secret = SECRET) => jwt.encodeSymmetric(payload, secret, alg);

const good = sym(claims('GET', GET_PATH, GET_Q, { sub: '557058:f0e2d3c4', context: { user: { accountId: '557058:f0e2d3c4' } } }));
const [gh, gp, gs] = good.split('.');
const flip = (s) => s.slice(0, -2) + (s.at(-2) === 'A' ? 'B' : 'A') + s.at(-1);

const keyFile = join(here, 'test-install-key.pem');
if (!existsSync(keyFile)) {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
}
const installPrivate = readFileSync(keyFile, 'utf8');

const jwtVectors = {
  generator: `atlassian-jwt ${jwt.version}${aceUtils ? ' (qsh of accepted tokens re-checked with atlassian-connect-express utils.validateQshFromRequest)' : ''}`,
  shared_secret: SECRET,
  client_key: CLIENT_KEY,
  app_key: APP_KEY,
  app_base_url: BASE_URL,
  now: IAT + 60,
  cases: [
    jwtCase('iframe-style GET with sub and context.user', 'GET', GET_PATH, GET_Q, good, 'accept'),
    jwtCase('no query, POST', 'POST', BASE_PATH + '/webhook/issue-updated', [],
      sym(claims('POST', BASE_PATH + '/webhook/issue-updated', [])), 'accept'),
    jwtCase('the request carries the token as ?jwt=, which the qsh leaves out', 'GET', BASE_PATH + '/page', [['jwt', 'ignored'], ['lic', 'none']],
      sym(claims('GET', BASE_PATH + '/page', [['lic', 'none']])), 'accept'),
    jwtCase('unicode and reserved characters in the query', 'GET', BASE_PATH + '/search', [['q', 'é日本 *~!'], ['k&', '=']],
      sym(claims('GET', BASE_PATH + '/search', [['q', 'é日本 *~!'], ['k&', '=']])), 'accept'),
    jwtCase('aud as the client key string', 'GET', BASE_PATH + '/x', [],
      sym(claims('GET', BASE_PATH + '/x', [], { aud: CLIENT_KEY })), 'accept'),
    jwtCase('ACE session token: iss = app key, aud = [client key]', 'GET', BASE_PATH + '/x', [],
      sym(claims('GET', BASE_PATH + '/x', [], { iss: APP_KEY, aud: [CLIENT_KEY] })), 'accept'),
    jwtCase('context-qsh where the route allows it', 'GET', BASE_PATH + '/api/context', [['a', '1']],
      sym({ iss: CLIENT_KEY, iat: IAT, exp: EXP_FUTURE, qsh: 'context-qsh', sub: '557058:f0e2d3c4' }), 'accept', 'context_allowed'),
    jwtCase('computed qsh where context-qsh is also allowed', 'GET', BASE_PATH + '/api/context', [['a', '1']],
      sym(claims('GET', BASE_PATH + '/api/context', [['a', '1']])), 'accept', 'context_allowed'),
    jwtCase('lower-case method in the request', 'get', BASE_PATH + '/x/', [],
      sym(claims('GET', BASE_PATH + '/x', [])), 'accept'),

    // refused
    jwtCase('signature changed', 'GET', GET_PATH, GET_Q, `${gh}.${gp}.${flip(gs)}`, 'BadSignature'),
    jwtCase('payload changed after signing', 'GET', GET_PATH, GET_Q,
      `${gh}.${b64url(JSON.stringify(claims('GET', GET_PATH, GET_Q, { sub: 'someone-else' })))}.${gs}`, 'BadSignature'),
    jwtCase('signed with a made-up secret', 'GET', GET_PATH, GET_Q,
      sym(claims('GET', GET_PATH, GET_Q), 'HS256', OTHER_SECRET), 'BadSignature'),
    jwtCase('signature segment empty', 'GET', GET_PATH, GET_Q, `${gh}.${gp}.`, 'MalformedToken'),
    jwtCase('signature with base64 padding', 'GET', GET_PATH, GET_Q, `${gh}.${gp}.${gs}=`, 'BadBase64'),
    jwtCase('HS512 (also accepted by atlassian-jwt, not by us)', 'GET', GET_PATH, GET_Q,
      sym(claims('GET', GET_PATH, GET_Q), 'HS512'), 'AlgorithmNotHs256'),
    jwtCase('alg none, empty signature (refused by framing, before the header is read)', 'GET', GET_PATH, GET_Q,
      `${b64url('{"alg":"none","typ":"JWT"}')}.${gp}.`, 'MalformedToken'),
    jwtCase('alg none with a signature', 'GET', GET_PATH, GET_Q,
      `${b64url('{"alg":"none","typ":"JWT"}')}.${gp}.${gs}`, 'AlgorithmNotHs256'),
    jwtCase('RS256', 'GET', GET_PATH, GET_Q,
      jwt.encodeAsymmetric(claims('GET', GET_PATH, GET_Q), installPrivate, 'RS256'), 'AlgorithmNotHs256'),
    jwtCase('alg hs256 (wrong case)', 'GET', GET_PATH, GET_Q,
      rawHs256('{"alg":"hs256","typ":"JWT"}', JSON.stringify(claims('GET', GET_PATH, GET_Q)), SECRET), 'AlgorithmNotHs256'),
    jwtCase('expired', 'GET', GET_PATH, GET_Q,
      sym(claims('GET', GET_PATH, GET_Q, { iat: EXP_PAST - 180, exp: EXP_PAST })), 'Expired'),
    jwtCase('no exp', 'GET', GET_PATH, GET_Q,
      sym({ iss: CLIENT_KEY, iat: IAT, qsh: qshFor('GET', GET_PATH, GET_Q, BASE_PATH) }), 'MissingClaim'),
    jwtCase('exp as a string', 'GET', GET_PATH, GET_Q,
      sym(claims('GET', GET_PATH, GET_Q, { exp: String(EXP_FUTURE) })), 'ClaimWrongType'),
    jwtCase('exp as a float', 'GET', GET_PATH, GET_Q,
      sym(claims('GET', GET_PATH, GET_Q, { exp: EXP_FUTURE + 0.5 })), 'ClaimWrongType'),
    jwtCase('no qsh', 'GET', GET_PATH, GET_Q,
      sym({ iss: CLIENT_KEY, iat: IAT, exp: EXP_FUTURE }), 'MissingClaim'),
    jwtCase('qsh of another path', 'GET', GET_PATH, GET_Q,
      sym(claims('GET', BASE_PATH + '/rest/linkmap/1/admin', GET_Q)), 'QshMismatch'),
    jwtCase('qsh of another method', 'DELETE', GET_PATH, GET_Q, good, 'QshMismatch'),
    jwtCase('qsh of another query', 'GET', GET_PATH, [...GET_Q, ['admin', 'true']], good, 'QshMismatch'),
    jwtCase('context-qsh where a computed qsh is required', 'GET', BASE_PATH + '/api/context', [['a', '1']],
      sym({ iss: CLIENT_KEY, iat: IAT, exp: EXP_FUTURE, qsh: 'context-qsh' }), 'ContextQshNotAllowed'),
    jwtCase('iss is another client key', 'GET', GET_PATH, GET_Q,
      sym(claims('GET', GET_PATH, GET_Q, { iss: 'another-client-key' })), 'ClientKeyMismatch'),
    jwtCase('aud names another client key', 'GET', GET_PATH, GET_Q,
      sym(claims('GET', GET_PATH, GET_Q, { iss: APP_KEY, aud: ['another-client-key'] })), 'ClientKeyMismatch'),
    jwtCase('aud is the client key but iss is neither it nor the app key', 'GET', GET_PATH, GET_Q,
      sym(claims('GET', GET_PATH, GET_Q, { iss: 'someone', aud: [CLIENT_KEY] })), 'ClientKeyMismatch'),
    jwtCase('no iss', 'GET', GET_PATH, GET_Q,
      sym({ iat: IAT, exp: EXP_FUTURE, qsh: qshFor('GET', GET_PATH, GET_Q, BASE_PATH) }), 'MissingClaim'),
    jwtCase('duplicate exp member (JSON.parse keeps the last)', 'GET', GET_PATH, GET_Q,
      rawHs256('{"alg":"HS256","typ":"JWT"}',
        `{"iss":"${CLIENT_KEY}","exp":${EXP_PAST},"qsh":"${qshFor('GET', GET_PATH, GET_Q, BASE_PATH)}","exp":${EXP_FUTURE}}`, SECRET),
      'DuplicateJsonMember'),
    jwtCase('duplicate alg header member', 'GET', GET_PATH, GET_Q,
      rawHs256('{"alg":"none","alg":"HS256"}', JSON.stringify(claims('GET', GET_PATH, GET_Q)), SECRET), 'DuplicateJsonMember'),
    jwtCase('crit header', 'GET', GET_PATH, GET_Q,
      rawHs256('{"alg":"HS256","crit":["exp"]}', JSON.stringify(claims('GET', GET_PATH, GET_Q)), SECRET), 'CritHeader'),
    jwtCase('payload is not an object', 'GET', GET_PATH, GET_Q,
      rawHs256('{"alg":"HS256"}', '[1,2]', SECRET), 'MalformedToken'),
    jwtCase('four segments', 'GET', GET_PATH, GET_Q, `${good}.x`, 'MalformedToken'),
  ],
};

// ------------------------------------------------------------------------------------------------------------
// RS256 signed-install JWTs (the `installed` / `uninstalled` lifecycle callbacks), signed by atlassian-jwt with a
// committed test-only key.

const installPublic = createPublicKey(installPrivate).export({ type: 'spki', format: 'pem' });
const KID = 'connect-vectors/test-install-key-1';
const INSTALLED = BASE_PATH + '/connect/installed';
const UNINSTALLED = BASE_PATH + '/connect/uninstalled';

function installClaims(path, extra = {}) {
  return { iss: CLIENT_KEY, aud: BASE_URL, iat: IAT, exp: EXP_FUTURE, sub: 'connect-install', qsh: qshFor('POST', path, [], BASE_PATH), ...extra };
}
const asym = (payload, kid = KID) => jwt.encodeAsymmetric(payload, installPrivate, 'RS256', kid === null ? undefined : { kid });
function rawRs256(headerText, payloadText) {
  const input = b64url(headerText) + '.' + b64url(payloadText);
  const sig = require('node:crypto').createSign('RSA-SHA256').update(input).sign(installPrivate, 'base64')
    .replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  return input + '.' + sig;
}
const goodInstall = asym(installClaims(INSTALLED));
const [ih, ip, is] = goodInstall.split('.');
const icase = (name, path, token, expect, bodyClientKey = CLIENT_KEY) =>
  ({ name, method: 'POST', path, query: [], body_client_key: bodyClientKey, token, expect });

const installVectors = {
  generator: `atlassian-jwt ${jwt.version}`,
  kid: KID,
  public_key_pem: installPublic,
  client_key: CLIENT_KEY,
  app_base_url: BASE_URL,
  now: IAT + 60,
  cases: [
    icase('installed', INSTALLED, goodInstall, 'accept'),
    icase('uninstalled', UNINSTALLED, asym(installClaims(UNINSTALLED)), 'accept'),
    icase('aud with a trailing slash', INSTALLED, asym(installClaims(INSTALLED, { aud: BASE_URL + '/' })), 'accept'),
    icase('aud as an array', INSTALLED, asym(installClaims(INSTALLED, { aud: [BASE_URL] })), 'accept'),

    icase('HS256 signed with the shared secret (downgrade)', INSTALLED, sym(installClaims(INSTALLED)), 'SymmetricLifecycleToken'),
    icase('HS256 with a kid header', INSTALLED,
      rawHs256(`{"alg":"HS256","typ":"JWT","kid":"${KID}"}`, JSON.stringify(installClaims(INSTALLED)), SECRET), 'SymmetricLifecycleToken'),
    icase('alg none, empty signature', INSTALLED, `${b64url(`{"alg":"none","kid":"${KID}"}`)}.${ip}.`, 'MalformedToken'),
    icase('alg none with a signature', INSTALLED, `${b64url(`{"alg":"none","kid":"${KID}"}`)}.${ip}.${is}`, 'AlgorithmNotAllowed'),
    icase('alg RS512', INSTALLED, `${b64url(`{"alg":"RS512","kid":"${KID}"}`)}.${ip}.${is}`, 'AlgorithmNotAllowed'),
    icase('no kid', INSTALLED, asym(installClaims(INSTALLED), null), 'MissingKid'),
    icase('kid is a URL', INSTALLED, asym(installClaims(INSTALLED), 'https://evil.example.com/key.pem'), 'InvalidKid'),
    icase('kid is a relative path', INSTALLED, asym(installClaims(INSTALLED), '../../etc/passwd'), 'InvalidKid'),
    icase('kid is an absolute path', INSTALLED, asym(installClaims(INSTALLED), '/etc/passwd'), 'InvalidKid'),
    icase('kid with an encoded slash', INSTALLED, asym(installClaims(INSTALLED), 'a%2F..%2Fb'), 'InvalidKid'),
    icase('kid with a query', INSTALLED, asym(installClaims(INSTALLED), 'key?x=1'), 'InvalidKid'),
    icase('signature changed', INSTALLED, `${ih}.${ip}.${flip(is)}`, 'BadSignature'),
    icase('wrong aud', INSTALLED, asym(installClaims(INSTALLED, { aud: 'https://evil.example.com/jira-app' })), 'WrongAudience'),
    icase('aud missing', INSTALLED, asym((({ aud, ...c }) => c)(installClaims(INSTALLED))), 'MissingClaim'),
    icase('aud array whose first entry is another app', INSTALLED,
      asym(installClaims(INSTALLED, { aud: ['https://evil.example.com', BASE_URL] })), 'WrongAudience'),
    icase('iss differs from the body clientKey', INSTALLED, goodInstall, 'ClientKeyMismatch', 'another-client-key'),
    icase('expired', INSTALLED, asym(installClaims(INSTALLED, { iat: EXP_PAST - 60, exp: EXP_PAST })), 'Expired'),
    icase('no exp', INSTALLED, asym((({ exp, ...c }) => c)(installClaims(INSTALLED))), 'MissingClaim'),
    icase('no qsh', INSTALLED, asym((({ qsh, ...c }) => c)(installClaims(INSTALLED))), 'MissingClaim'),
    icase('qsh of the other callback', UNINSTALLED, goodInstall, 'QshMismatch'),
    icase('context-qsh on a lifecycle callback', INSTALLED, asym(installClaims(INSTALLED, { qsh: 'context-qsh' })), 'ContextQshNotAllowed'),
    icase('duplicate iss member', INSTALLED,
      rawRs256(`{"alg":"RS256","typ":"JWT","kid":"${KID}"}`,
        `{"iss":"another-client-key","aud":"${BASE_URL}","exp":${EXP_FUTURE},"qsh":"${qshFor('POST', INSTALLED, [], BASE_PATH)}","iss":"${CLIENT_KEY}"}`),
      'DuplicateJsonMember'),
  ],
};

// ------------------------------------------------------------------------------------------------------------

function write(name, value) {
  writeFileSync(join(out, name), JSON.stringify(value, null, 2) + '\n');
  console.log(`${name}: ${Array.isArray(value) ? value.length : (value.cases ?? []).length} entries`);
}

write('qsh.json', qshVectors);
write('qsh-raw.json', rawVectors);
write('connect-jwt.json', jwtVectors);
write('signed-install.json', installVectors);
write('qsh-divergences.json', divergences);
