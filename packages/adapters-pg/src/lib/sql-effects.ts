import { analyzeSql, type Action, type ClassifyContext } from '@portcullis/core';
import type { SqlEffects } from './pool-context.js';

/**
 * What an SQL text does to the session's state, from the core's statement-level analysis:
 * prepared statements (`PREPARE name AS …` with the actions to remember, `DEALLOCATE name`,
 * `DEALLOCATE ALL` / `DISCARD ALL`) and transaction control (`BEGIN`, `COMMIT`, …, by kind).
 *
 * @example
 * ```ts
 * sqlEffects('PREPARE p AS DELETE FROM t', {}).prepares; // [{ name: 'p', actions: [{ operation: 'delete', resource: 't' }] }]
 * ```
 * @throws TypeError before the engine has loaded the SQL classifier.
 */
export function sqlEffects(text: string, context: ClassifyContext): SqlEffects {
  const analysis = analyzeSql(text, context);
  const prepares: { name: string; actions: readonly Action[] }[] = [];
  const deallocates: string[] = [];
  let deallocatesAll = false;
  const transactions: string[] = [];
  for (const statement of analysis.statements) {
    if (statement.kind === 'transaction') transactions.push(statement.transaction);
    else if (statement.kind === 'prepare')
      prepares.push({ name: statement.name, actions: statement.actions });
    else if (statement.kind === 'deallocate') {
      if (statement.all) deallocatesAll = true;
      else if (statement.name !== undefined) deallocates.push(statement.name);
    }
  }
  return {
    actions: analysis.actions,
    prepares,
    deallocates,
    deallocatesAll,
    statements: analysis.statements.length,
    transactions,
  };
}
