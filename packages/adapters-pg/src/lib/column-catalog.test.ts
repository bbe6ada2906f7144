import { describe, expect, it } from 'vitest';
import { createColumnCatalog } from './column-catalog.js';

describe('createColumnCatalog().known', () => {
  const fields = [
    { tableID: 16384, columnID: 1 },
    { tableID: 0, columnID: 0 },
    { tableID: 16384, columnID: 2 },
  ];
  const rows = [
    [16384, 1, 'public', 'users', 'id'],
    [16384, 2, 'public', 'users', 'password'],
  ];

  it('answers only from fresh cached tables, as sources() would, and never queries', async () => {
    let t = 0;
    const catalog = createColumnCatalog({ ttlMs: 1000, now: () => t });
    expect(catalog.known(fields)).toBeUndefined();
    const queried: string[] = [];
    const sources = await catalog.sources(fields, (text) => {
      queried.push(text);
      return Promise.resolve(rows);
    });
    expect(sources).toEqual(['public.users.id', undefined, 'public.users.password']);
    expect(catalog.known(fields)).toEqual(sources);
    expect(catalog.known([{ tableID: 0, columnID: 0 }])).toEqual([undefined]);
    t = 1001;
    expect(catalog.known(fields)).toBeUndefined();
    t = 0;
    catalog.invalidate();
    expect(catalog.known(fields)).toBeUndefined();
    expect(queried).toHaveLength(1);
  });

  it('does not answer for a table it was never asked about', async () => {
    const catalog = createColumnCatalog();
    await catalog.sources([{ tableID: 16384, columnID: 1 }], () => Promise.resolve(rows));
    expect(catalog.known([{ tableID: 16385, columnID: 1 }])).toBeUndefined();
  });
});
