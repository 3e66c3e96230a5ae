/**
 * Per-policy index from a (lower-cased) action to the statements that can apply to it, built
 * once at compile time. A statement whose Action lists only literal actions is filed under
 * each of them; statements with wildcards or NotAction go in every list. Lists keep document
 * order, so `matched` and the first explicit deny are the same as a full scan: the index only
 * skips statements whose Action cannot match (a function policy of 20 `lambda:InvokeFunction`
 * grants is not read for a `lambda:InvokeFunctionUrl` request).
 */
import type { CompiledStatement } from "./types.ts";

export interface ActionIndex {
	readonly byAction: ReadonlyMap<string, readonly CompiledStatement[]>;
	/** Statements for an action that no statement names literally. */
	readonly otherStatements: readonly CompiledStatement[];
}

/** Builds the index; `statements` are in document order. */
export function indexByAction(
	statements: readonly CompiledStatement[],
): ActionIndex {
	const otherStatements = statements.filter((s) => s.actions === undefined);
	const byAction = new Map<string, CompiledStatement[]>();
	for (const s of statements) {
		for (const a of s.actions ?? []) if (!byAction.has(a)) byAction.set(a, []);
	}
	for (const [action, list] of byAction) {
		for (const s of statements)
			if (s.actions === undefined || s.actions.includes(action)) list.push(s);
	}
	return { byAction, otherStatements };
}
