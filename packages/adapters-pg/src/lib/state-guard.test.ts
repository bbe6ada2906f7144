import { loadSqlClassifier } from '@portcullis/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createStateGuard } from './state-guard.js';

beforeAll(async () => {
  await loadSqlClassifier();
});

describe('createStateGuard', () => {
  it('refuses a text that reaches a state schema, every time it is asked', () => {
    const refusal = createStateGuard(['portcullis']);
    const text = 'SELECT * FROM portcullis.approvals';
    const first = refusal(text);
    expect(first).toMatch(/portcullis/);
    expect(refusal(text)).toBe(first);
    expect(refusal(`${text} `)).toBe(first);
    expect(refusal("SELECT query_to_xml('select * from portcullis.approvals', true, true, '')")).toMatch(
      /portcullis/,
    );
  });

  it('lets other texts through, and is off with no schemas', () => {
    const refusal = createStateGuard(['portcullis']);
    expect(refusal('SELECT * FROM public.portcullis_notes')).toBeUndefined();
    expect(refusal('SELECT * FROM public.portcullis_notes')).toBeUndefined();
    expect(createStateGuard([])('SELECT * FROM portcullis.approvals')).toBeUndefined();
  });
});
