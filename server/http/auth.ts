/**
 * Tokens: `--token` gates /ingest (hello.token); `--view-token` gates the pages, /api and /live.
 * Compared in constant time, never logged, never echoed into pages, URLs or responses.
 *
 * Browser flow: the first visit carries `?token=…`; the server answers 303 to the same URL without
 * the token and sets an HttpOnly, SameSite=Strict session cookie. The cookie holds an HMAC of the
 * view token (not the token), so it survives server restarts and dies when the token changes.
 * Scripts may send `Authorization: Bearer <token>` instead; /live also takes `?token=` (Node clients).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import type { WebSocket } from 'ws';
import { refuse } from './reply';

export const VIEW_COOKIE = 'layerwatch_view';

/** True when `given` equals `expected`, comparing SHA-256 digests in constant time (no length leak). */
export function tokensEqual(given: string | undefined | null, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The session cookie value for a view token: an HMAC, so the cookie never carries the token itself. */
export function viewCookieValue(viewToken: string): string {
  return createHmac('sha256', viewToken).update('layerwatch view session v1').digest('base64url');
}

/** Reads one cookie from a request's Cookie header. */
function cookie(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function bearer(req: IncomingMessage): string | undefined {
  const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
  return m?.[1].trim();
}

/** Whether a request carries view rights: the session cookie, a bearer token, or (when `allowQuery`) `?token=`. */
export function hasViewAccess(req: IncomingMessage, url: URL, viewToken: string, allowQuery = false): boolean {
  // Evaluate every credential, so timing does not tell which one was present.
  const byCookie = tokensEqual(cookie(req, VIEW_COOKIE), viewCookieValue(viewToken));
  const byBearer = tokensEqual(bearer(req), viewToken);
  const byQuery = allowQuery && tokensEqual(url.searchParams.get('token'), viewToken);
  return byCookie || byBearer || byQuery;
}

/** Paths anyone may fetch even with a view token set: the liveness probe (it reveals no run data). */
const PUBLIC_PATHS = new Set(['/api/health']);

/**
 * Gates one HTTP request (pages and /api) behind the view token. Returns true when the request may
 * proceed; otherwise it has answered (303 with the cookie, or 401) and the caller must stop.
 */
export function gateHttp(req: IncomingMessage, res: ServerResponse, url: URL, viewToken: string | undefined): boolean {
  // Cross-site request forgery: a page elsewhere may POST to a local dashboard (e.g. /api/import) without any token.
  if (req.method !== 'GET' && req.method !== 'HEAD' && req.headers.origin !== undefined && !sameOrigin(req)) {
    refuse(res, 403, 'CROSS_ORIGIN', "requests that change data must come from this server's own pages");
    return false;
  }
  if (viewToken === undefined || PUBLIC_PATHS.has(url.pathname)) return true;
  if (url.searchParams.has('token')) {
    const ok = tokensEqual(url.searchParams.get('token'), viewToken);
    url.searchParams.delete('token');
    const clean = url.pathname + (url.searchParams.size ? `?${url.searchParams}` : '');
    if (ok) {
      const secure = (req.socket as { encrypted?: boolean }).encrypted || req.headers['x-forwarded-proto'] === 'https';
      res.writeHead(303, {
        location: clean,
        'set-cookie': `${VIEW_COOKIE}=${viewCookieValue(viewToken)}; Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`,
        'cache-control': 'no-store',
        'referrer-policy': 'no-referrer',
      });
      res.end();
      return false;
    }
    // A wrong token falls through to 401 below; the token is never echoed.
  }
  if (hasViewAccess(req, url, viewToken)) return true;
  const headers = { 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' };
  if (url.pathname.startsWith('/api/')) {
    refuse(res, 401, 'UNAUTHORIZED', 'this server needs its view token (Authorization: Bearer, or open a page once with ?token=)', {
      headers: { ...headers, 'www-authenticate': 'Bearer' },
    });
  } else {
    res.writeHead(401, { ...headers, 'content-type': 'text/html; charset=utf-8' });
    res.end(
      '<!doctype html><meta charset="utf-8"><title>Layerwatch: token needed</title>' +
        '<p>This Layerwatch server needs its view token. Open the link you were given (it ends in <code>?token=…</code>) once; ' +
        'the browser then keeps a session cookie and the token leaves the address bar.</p>\n',
    );
  }
  return false;
}

/** True when the request's Origin header names this server's own host (as the browser addressed it). */
export function sameOrigin(req: IncomingMessage): boolean {
  try {
    return new URL(req.headers.origin ?? '').host === new URL(`http://${req.headers.host ?? ''}`).host;
  } catch {
    return false;
  }
}

/**
 * Against cross-site websocket hijacking: browsers send Origin with every websocket upgrade and let any page open a
 * websocket anywhere, so an upgrade carrying an Origin must come from this server's own origin (Origin host = Host)
 * or one given with --allowed-origins ("*" allows any). Trainers and Node clients send no Origin and pass.
 */
export function originAllowed(req: IncomingMessage, allowed: readonly string[]): boolean {
  const origin = req.headers.origin;
  if (origin === undefined || allowed.includes('*') || sameOrigin(req)) return true;
  try {
    return allowed.includes(new URL(origin).origin);
  } catch {
    return false;
  }
}

/** The host name of a Host header ("[::1]:3000" → "::1", "Example.COM:80" → "example.com"), or null when malformed. */
export function hostHeaderName(header: string): string | null {
  try {
    const h = new URL(`http://${header}`).hostname.toLowerCase();
    return h.replace(/^\[|\]$/g, '') || null;
  } catch {
    return null;
  }
}

/**
 * Against DNS rebinding: a server bound to loopback answers only requests addressed to a loopback name (localhost,
 * 127.x, [::1]) or to a name in `allowed` ("*" allows any). A page whose own name an attacker pointed at
 * 127.0.0.1 sends that name in Host, and is refused. Requests without a Host header (not a browser) pass; a server
 * bound elsewhere checks only when `allowed` is given (it needs tokens anyway).
 */
export function hostAllowed(req: IncomingMessage, bindHost: string, allowed: readonly string[]): boolean {
  if (allowed.includes('*')) return true;
  const header = req.headers.host;
  if (header === undefined) return true;
  if (!isLoopbackHost(bindHost) && allowed.length === 0) return true;
  const name = hostHeaderName(header);
  if (name === null) return false;
  return isLoopbackHost(name) || allowed.some((a) => a.toLowerCase() === name);
}

/** Answers a request refused by hostAllowed: 403 HOST_NOT_ALLOWED. */
export function refuseHost(res: ServerResponse): void {
  refuse(res, 403, 'HOST_NOT_ALLOWED', 'this server answers only to loopback names and --allowed-hosts (DNS rebinding guard)');
}

/** True for loopback literals and "localhost": the only hosts the server binds to without a token. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || /^::ffff:127\./.test(h);
  return false;
}

/** Why binding to `host` with these tokens is refused (null when allowed). */
export function exposureProblem(host: string, token: string | undefined, viewToken: string | undefined, insecure: boolean): string | null {
  if (insecure || isLoopbackHost(host)) return null;
  const missing = [
    token === undefined ? '--token (anyone could write runs)' : null,
    viewToken === undefined ? '--view-token (anyone could read runs)' : null,
  ].filter(Boolean);
  if (!missing.length) return null;
  return `refusing to listen on ${host} (not loopback) without ${missing.join(' and ')}; set them, or pass --insecure if the network is trusted`;
}

/**
 * A /live upgrade without view access is accepted, then closed with UNAUTHORIZED: a browser cannot read an HTTP
 * status from a failed upgrade, but it can read this message.
 */
export function closeUnauthorizedLive(ws: WebSocket): void {
  ws.send(JSON.stringify({ type: 'error', code: 'UNAUTHORIZED', message: 'this server needs its view token; reload the page with ?token=', fatal: true }));
  ws.close(1008, 'UNAUTHORIZED');
}
