/**
 * Functions in PostgreSQL: the current config and revision in `functions`, each deploy in
 * `function_revisions`, bundles content-addressed per account in `code_blobs` (BYTEA), shared by
 * every gateway. The last `KEPT_REVISIONS` revisions keep their code; bundles no kept revision
 * references are deleted in the same transaction. Deploys and deletes of one account take its
 * account row `FOR NO KEY UPDATE`, so a bundle is never collected while a concurrent deploy of
 * the same account starts referencing it; other accounts are not held up.
 */

import {
	checkDeploy,
	FUNCTION_COLUMNS,
	type FunctionPolicyRow,
	type FunctionRow,
	functionNameTaken,
	prepareDeploy,
	toFunction,
	toFunctionPolicy,
} from "../function-rows.ts";
import {
	checkPolicyRevision,
	functionNotFound,
} from "../function-version-rows.ts";
import { checkJsonObject } from "../ids.ts";
import { KEPT_REVISIONS } from "../limits.ts";
import type { FunctionStore } from "../store.ts";
import type {
	FunctionCode,
	FunctionConfig,
	FunctionPolicy,
	FunctionRecord,
} from "../types.ts";
import { requireAccount } from "./accounts.ts";
import { constraintOf, type PgDb, type Queryable, sqlState } from "./db.ts";

/** The insert lost a race for the name: to this account's own concurrent deploy, or to another account. */
class NameRace extends Error {}

export class PgFunctions implements FunctionStore {
	readonly #db: PgDb;
	constructor(db: PgDb) {
		this.#db = db;
	}

	async put(input: {
		accountId: string;
		name: string;
		config: FunctionConfig;
		code?: Buffer;
		expectedRevision?: number;
	}): Promise<{ revision: number; created: boolean }> {
		const { config, sha256 } = prepareDeploy(input);
		// A lost insert race is retried once: if this account's own concurrent deploy won, the retry
		// is an update of it; if another account holds the name, the retry loses again.
		for (let attempt = 1; ; attempt++) {
			try {
				return await this.#db.tx((q) =>
					this.#put(q, input, config, sha256, attempt > 1),
				);
			} catch (err) {
				if (!(err instanceof NameRace)) throw err;
				if (err.message === "other" || attempt >= 2)
					throw functionNameTaken(input.name);
			}
		}
	}

	async #put(
		q: Queryable,
		input: {
			accountId: string;
			name: string;
			code?: Buffer;
			expectedRevision?: number;
		},
		config: string,
		sha256: string | undefined,
		retry: boolean,
	): Promise<{ revision: number; created: boolean }> {
		const { accountId, name, code, expectedRevision } = input;
		await requireAccount(q, accountId, "FOR NO KEY UPDATE");
		const { rows } = await q.query<FunctionRow>(
			`SELECT ${FUNCTION_COLUMNS} FROM functions WHERE account_id = $1 AND name = $2 FOR UPDATE`,
			[accountId, name],
		);
		const current = rows[0];
		checkDeploy(name, current, expectedRevision, sha256);
		const now = this.#db.now();
		const codeSha = sha256 ?? (current as FunctionRow).code_sha256;
		const codeSize = code?.length ?? (current as FunctionRow).code_size;
		let id: number;
		let revision: number;
		if (current === undefined) {
			revision = 1;
			// ON CONFLICT DO NOTHING: a name held by a committed row (or one that commits while this
			// insert waits on it) inserts nothing instead of aborting the transaction.
			const inserted = await q.query<{ id: number }>(
				`INSERT INTO functions (account_id, name, config, revision, code_sha256, code_size, created_at, updated_at)
				 VALUES ($1, $2, $3, 1, $4, $5, $6, $6) ON CONFLICT DO NOTHING RETURNING id`,
				[accountId, name, config, codeSha, codeSize, now],
			);
			if (inserted.rows.length === 0) {
				const mine = await q.query(
					"SELECT 1 FROM functions WHERE account_id = $1 AND name = $2",
					[accountId, name],
				);
				throw new NameRace(mine.rows.length > 0 && !retry ? "mine" : "other");
			}
			id = (inserted.rows[0] as { id: number }).id;
		} else {
			id = current.id;
			revision = current.revision + 1;
			await q.query(
				"UPDATE functions SET config = $1, revision = $2, code_sha256 = $3, code_size = $4, updated_at = $5 WHERE id = $6",
				[config, revision, codeSha, codeSize, now, id],
			);
		}
		if (code !== undefined) {
			await q.query(
				"INSERT INTO code_blobs (account_id, sha256, size, data) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
				[accountId, codeSha, code.length, code],
			);
		}
		await q.query(
			"INSERT INTO function_revisions (function_id, revision, code_sha256, created_at) VALUES ($1, $2, $3, $4)",
			[id, revision, codeSha, now],
		);
		await q.query(
			"DELETE FROM function_revisions WHERE function_id = $1 AND revision <= $2",
			[id, revision - KEPT_REVISIONS],
		);
		await collectBlobs(q, accountId);
		return { revision, created: current === undefined };
	}

	async get(
		accountId: string,
		name: string,
	): Promise<FunctionRecord | undefined> {
		const row = await this.#db.one<FunctionRow>(
			`SELECT ${FUNCTION_COLUMNS} FROM functions WHERE account_id = $1 AND name = $2`,
			[accountId, name],
		);
		return row && toFunction(row);
	}

	async findByName(name: string): Promise<FunctionRecord | undefined> {
		// `functions_name` is a unique index on `name`: one probe, whatever the number of accounts.
		const row = await this.#db.one<FunctionRow>(
			`SELECT ${FUNCTION_COLUMNS} FROM functions WHERE name = $1`,
			[name],
			"sigil_function_by_name",
		);
		return row && toFunction(row);
	}

	async list(accountId: string): Promise<FunctionRecord[]> {
		const { rows } = await this.#db.query<FunctionRow>(
			`SELECT ${FUNCTION_COLUMNS} FROM functions WHERE account_id = $1 ORDER BY name`,
			[accountId],
		);
		return rows.map(toFunction);
	}

	async getCode(
		accountId: string,
		name: string,
		revision?: number,
	): Promise<FunctionCode | undefined> {
		const row = await this.#db.one<{
			revision: number;
			sha256: string;
			data: Buffer;
		}>(
			`SELECT r.revision AS revision, b.sha256 AS sha256, b.data AS data
			 FROM functions f
			 JOIN function_revisions r ON r.function_id = f.id AND r.revision = coalesce($1::int, f.revision)
			 JOIN code_blobs b ON b.account_id = f.account_id AND b.sha256 = r.code_sha256
			 WHERE f.account_id = $2 AND f.name = $3`,
			[revision ?? null, accountId, name],
		);
		return (
			row && { revision: row.revision, sha256: row.sha256, code: row.data }
		);
	}

	async delete(accountId: string, name: string): Promise<void> {
		const changed = await this.#db.tx(async (q) => {
			const account = await q.query(
				"SELECT 1 FROM accounts WHERE account_id = $1 FOR NO KEY UPDATE",
				[accountId],
			);
			if (account.rows.length === 0) return 0;
			const { rowCount } = await q.query(
				"DELETE FROM functions WHERE account_id = $1 AND name = $2",
				[accountId, name],
			);
			if (rowCount > 0) await collectBlobs(q, accountId);
			return rowCount;
		});
		if (changed === 0) throw functionNotFound(accountId, name);
	}

	async getPolicy(
		accountId: string,
		name: string,
	): Promise<FunctionPolicy | undefined> {
		const row = await this.#db.one<FunctionPolicyRow>(
			"SELECT policy, policy_revision FROM functions WHERE account_id = $1 AND name = $2",
			[accountId, name],
		);
		return row && toFunctionPolicy(row);
	}

	async putPolicy(
		accountId: string,
		name: string,
		document: string | null,
		expectedPolicyRevision?: number,
	): Promise<number> {
		if (document !== null) checkJsonObject(document, "a resource policy");
		return this.#db.tx(async (q) => {
			const { rows } = await q.query<{ policy_revision: number }>(
				"SELECT policy_revision FROM functions WHERE account_id = $1 AND name = $2 FOR UPDATE",
				[accountId, name],
			);
			const row = rows[0];
			if (!row) throw functionNotFound(accountId, name);
			checkPolicyRevision(name, row.policy_revision, expectedPolicyRevision);
			const next = row.policy_revision + 1;
			await q.query(
				"UPDATE functions SET policy = $1, policy_revision = $2, updated_at = $3 WHERE account_id = $4 AND name = $5",
				[document, next, this.#db.now(), accountId, name],
			);
			return next;
		});
	}
}

/** Deletes the account's bundles that no kept revision references (under the account's row lock). */
export async function collectBlobs(
	q: Queryable,
	accountId: string,
): Promise<void> {
	await q.query(
		`DELETE FROM code_blobs b WHERE b.account_id = $1 AND NOT EXISTS (
			SELECT 1 FROM function_revisions r JOIN functions f ON f.id = r.function_id
			WHERE f.account_id = $1 AND r.code_sha256 = b.sha256)
		AND NOT EXISTS (
			SELECT 1 FROM function_versions v JOIN functions f ON f.id = v.function_id
			WHERE f.account_id = $1 AND v.code_sha256 = b.sha256)`,
		[accountId],
	);
}

/** True for a unique violation of the cross-account name constraint (used by tests and callers). */
export function isNameTaken(err: unknown): boolean {
	return sqlState(err) === "23505" && constraintOf(err) === "functions_name";
}
