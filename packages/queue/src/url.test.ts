import { describe, expect, it } from 'vitest';
import { redisOptions } from './bullmq-engine.js';
import { parseQueueUrl, redactUrl } from './url.js';

describe('queue URLs', () => {
  it('parses user, password, db, TLS and the queue name', () => {
    const a = parseQueueUrl('rediss://alice:s3cr%40t@cache.example:6380/2?queue=exp-1');
    expect([a.scheme, a.host, a.port, a.db, a.username, a.password, a.tls, a.queue]).toEqual(['rediss', 'cache.example', 6380, 2, 'alice', 's3cr@t', true, 'exp-1']);
    expect(a.redacted).toBe('rediss://alice:***@cache.example:6380/2?queue=exp-1');
    const o = redisOptions(a);
    expect([o.host, o.port, o.db, o.username, o.password, (o.tls as { servername: string }).servername]).toEqual(['cache.example', 6380, 2, 'alice', 's3cr@t', 'cache.example']);
    const b = parseQueueUrl('redis://:pw@127.0.0.1');
    expect([b.port, b.db, b.username, b.password, b.tls, b.queue, b.redacted]).toEqual([6379, 0, undefined, 'pw', false, 'clt-runs', 'redis://:***@127.0.0.1']);
    expect(redisOptions(b).tls).toBeUndefined();
    expect(parseQueueUrl('redis://[::1]:7000').host).toBe('::1');
  });

  it('refuses other schemes and bad parts without echoing the password', () => {
    const msg = (u: string) => { try { parseQueueUrl(u); return ''; } catch (e) { return (e as Error).message; } };
    expect(msg('http://u:hunter2@h:1')).toMatch(/^--queue http:\/\/u:\*\*\*@h:1: the scheme "http" is not supported/);
    expect(msg('redis://u:hunter2@h:1/abc')).toMatch(/the path "\/abc" is not a database number/);
    expect(msg('redis://h:1?queue=a/b')).toMatch(/queue=a\/b: a queue name is/);
    expect(msg('redis://h:1?db=2')).toMatch(/unknown parameter "db"/);
    expect(msg('redis://u:hunter2@h:99999')).toMatch(/^--queue redis:\/\/u:\*\*\*@h:99999: not a URL/);
    for (const u of ['http://u:hunter2@h:1', 'redis://u:hunter2@h:1/abc', 'redis://u:hunter2@h:99999', 'redis://u:hunter2@h:1?x=hunter2']) {
      expect(msg(u).replace('x=hunter2', '')).not.toContain('hunter2');
    }
  });

  it('redacts valid and malformed URLs', () => {
    expect(redactUrl('redis://default:pa:ss@h:1/0')).toBe('redis://default:***@h:1/0');
    expect(redactUrl('redis://onlysecret@h:1')).toBe('redis://***@h:1');
    expect(redactUrl('redis://h:1')).toBe('redis://h:1');
    expect(redactUrl('redis://u:p@ss w@rd@h:1')).toBe('redis://u:***@h:1');
    expect(redactUrl('redis://secret@@h:99999')).toBe('redis://***@h:99999');
  });
});
