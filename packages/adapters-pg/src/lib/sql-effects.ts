import { analyzeSql, type Action, type ClassifyContext } from '@portcullis/core';
import type { SqlEffects } from './pool-context.js';

/**
 * What an SQL text does to the session's state, from the core's statement-level analysis:
 * prepared statements (`PREPARE name AS …` with the actions to remember, `DEALLOCATE name`,
 * `DEALLOCATE ALL` / `DISCARD ALL`, the names it runs: `EXECUTE name`) and transaction control
 * (`BEGIN`, `COMMIT`, …, by kind).
 *
 * @example
 * ```ts
 * sqlEffects('PREPARE p AS DELETE FROM t', {}).prepares; // [{ name: 'p', actions: [{ operation: 'delete', resource: 't' }], statement: 'PREPARE p AS DELETE FROM t' }]
 * ```
 * @throws TypeError before the engine has loaded the SQL classifier.
 */
export function sqlEffects(text: string, context: ClassifyContext): SqlEffects {
  const analysis = analyzeSql(text, context);
  const prepares: { name: string; actions: readonly Action[]; statement: string }[] = [];
  const deallocates: string[] = [];
  let deallocatesAll = false;
  const transactions: string[] = [];
  for (const statement of analysis.statements) {
    if (statement.kind === 'transaction') transactions.push(statement.transaction);
    else if (statement.kind === 'prepare')
      prepares.push({ name: statement.name, actions: statement.actions, statement: statement.text });
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
    executes: analysis.executes,
    statements: analysis.statements.length,
    transactions,
  };
}
