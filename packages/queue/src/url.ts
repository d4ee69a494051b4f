/**
 * The `--queue` URL: `redis://[user:password@]host:port[/db][?queue=name]`, or `rediss://…` for TLS.
 * The password is parsed once here and then lives only in the connection options: every message,
 * log line and file that names the queue uses `redacted`, which never holds it.
 */
export interface QueueAddress {
  readonly scheme: 'redis' | 'rediss';
  readonly host: string;
  readonly port: number;
  readonly db: number;
  readonly username?: string;
  readonly password?: string;
  readonly tls: boolean;
  /** The queue's name inside Redis (`?queue=`), default `clt-runs`: one queue per experiment keeps them apart. */
  readonly queue: string;
  /** The URL with the password replaced by `***`: safe for logs, errors and files. */
  readonly redacted: string;
}

/** The queue's name inside Redis when the URL has no `?queue=`. */
export const DEFAULT_QUEUE_NAME = 'clt-runs';
const DEFAULT_PORT = 6379;

/** Parse a queue URL; errors name the (redacted) URL and what to fix. */
export function parseQueueUrl(text: string): QueueAddress {
  const shown = redactUrl(text);
  const bad = (why: string) => new Error(`--queue ${shown}: ${why}; expected redis://[user:password@]host:port[/db][?queue=name] or rediss://… for TLS`);
  let u: URL;
  try { u = new URL(text); } catch { throw bad('not a URL'); }
  const scheme = u.protocol.replace(/:$/, '');
  if (scheme !== 'redis' && scheme !== 'rediss') throw bad(`the scheme "${scheme}" is not supported (only redis and rediss)`);
  if (!u.hostname) throw bad('no host');
  const port = u.port === '' ? DEFAULT_PORT : Number(u.port);
  const path = u.pathname.replace(/^\//, '');
  if (path !== '' && !/^\d{1,2}$/.test(path)) throw bad(`the path "/${path}" is not a database number`);
  const db = path === '' ? 0 : Number(path);
  let queue = DEFAULT_QUEUE_NAME;
  for (const [k, v] of u.searchParams) {
    if (k !== 'queue') throw bad(`unknown parameter "${k}" (only queue=name)`);
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(v)) throw bad(`queue=${v}: a queue name is 1 to 64 letters, digits, _ or -`);
    queue = v;
  }
  const username = u.username ? decodeURIComponent(u.username) : undefined;
  const password = u.password ? decodeURIComponent(u.password) : undefined;
  // IPv6 hosts come back bracketed from URL; the socket wants them bare.
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  return {
    scheme, host, port, db, tls: scheme === 'rediss', queue, redacted: shown,
    ...(username !== undefined ? { username } : {}), ...(password !== undefined ? { password } : {}),
  };
}

/**
 * A URL with its password replaced by `***` (a user name before it is kept; a user name alone is hidden). Works on text that is not a
 * valid URL too, so an error about a malformed URL never echoes the secret.
 */
export function redactUrl(text: string): string {
  try {
    const u = new URL(text);
    if (u.password) u.password = '***';
    // A user name alone may be a password written in the wrong place: hide it too.
    else if (u.username) u.username = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    // user:password@ or :password@ after the scheme: keep the user, hide the rest up to the last @.
    return text.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)@/i, (_m, s: string, cred: string) => {
      return cred.includes(':') ? `${s}${cred.slice(0, cred.indexOf(':'))}:***@` : `${s}***@`;
    });
  }
}
