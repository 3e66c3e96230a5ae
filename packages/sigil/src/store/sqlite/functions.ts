/**
 * Functions in SQLite: the current config and revision in `functions`, each deploy in
 * `function_revisions`, bundles content-addressed in `code_blobs` (so several gateways sharing the
 * database share the code). The last `KEPT_REVISIONS` revisions keep their code; blobs no kept
 * revision references are deleted in the same transaction.
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
import { buf, type Db } from "./db.ts";

/** SQLITE_CONSTRAINT_UNIQUE on `functions_name` (the per-account key is checked before the insert). */
function isNameTaken(err: unknown): boolean {
	const e = err as { errcode?: unknown; message?: unknown } | null;
	return (
		e?.errcode === 2067 &&
		typeof e.message === "string" &&
		/failed: functions\.name$/.test(e.message)
	);
}

export class SqliteFunctions implements FunctionStore {
	readonly #db: Db;
	constructor(db: Db) {
		this.#db = db;
	}

	#row(accountId: string, name: string): FunctionRow | undefined {
		return this.#db.one<FunctionRow>(
			`SELECT ${FUNCTION_COLUMNS} FROM functions WHERE account_id = ? AND name = ?`,
			accountId,
			name,
		);
	}

	async put(input: {
		accountId: string;
		name: string;
		config: FunctionConfig;
		code?: Buffer;
		expectedRevision?: number;
	}): Promise<{ revision: number; created: boolean }> {
		const { accountId, name, code, expectedRevision } = input;
		const { config, sha256 } = prepareDeploy(input);
		return this.#db.tx(() => {
			this.#db.requireAccount(accountId);
			const current = this.#row(accountId, name);
			checkDeploy(name, current, expectedRevision, sha256);
			const now = this.#db.now();
			const codeSha = sha256 ?? (current as FunctionRow).code_sha256;
			const codeSize = code?.length ?? (current as FunctionRow).code_size;
			if (code !== undefined) {
				this.#db.run(
					"INSERT INTO code_blobs (account_id, sha256, size, data) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
					accountId,
					codeSha,
					code.length,
					code,
				);
			}
			let id: number;
			let revision: number;
			if (current === undefined) {
				revision = 1;
				let inserted: { id: number } | undefined;
				try {
					inserted = this.#db.one<{ id: number }>(
						"INSERT INTO functions (account_id, name, config, revision, code_sha256, code_size, created_at, updated_at) VALUES (?, ?, ?, 1, ?, ?, ?, ?) RETURNING id",
						accountId,
						name,
						config,
						codeSha,
						codeSize,
						now,
						now,
					);
				} catch (err) {
					// The unique index on the name alone decides a race between accounts: whichever
					// insert commits first owns the URL. Which account that is stays unsaid.
					if (isNameTaken(err)) throw functionNameTaken(name, { cause: err });
					throw err;
				}
				id = (inserted as { id: number }).id;
			} else {
				id = current.id;
				revision = current.revision + 1;
				this.#db.run(
					"UPDATE functions SET config = ?, revision = ?, code_sha256 = ?, code_size = ?, updated_at = ? WHERE id = ?",
					config,
					revision,
					codeSha,
					codeSize,
					now,
					id,
				);
			}
			this.#db.run(
				"INSERT INTO function_revisions (function_id, revision, code_sha256, created_at) VALUES (?, ?, ?, ?)",
				id,
				revision,
				codeSha,
				now,
			);
			this.#db.run(
				"DELETE FROM function_revisions WHERE function_id = ? AND revision <= ?",
				id,
				revision - KEPT_REVISIONS,
			);
			this.collectBlobs(accountId);
			return { revision, created: current === undefined };
		});
	}

	/** Deletes the account's bundles that no kept revision and no published version references. */
	collectBlobs(accountId: string): void {
		this.#db.run(
			`DELETE FROM code_blobs WHERE account_id = ? AND sha256 NOT IN (
				SELECT r.code_sha256 FROM function_revisions r JOIN functions f ON f.id = r.function_id WHERE f.account_id = ?
				UNION SELECT v.code_sha256 FROM function_versions v JOIN functions f ON f.id = v.function_id WHERE f.account_id = ?)`,
			accountId,
			accountId,
			accountId,
		);
	}

	async get(
		accountId: string,
		name: string,
	): Promise<FunctionRecord | undefined> {
		const row = this.#db.do(() => this.#row(accountId, name));
		return row && toFunction(row);
	}

	async findByName(name: string): Promise<FunctionRecord | undefined> {
		// `functions_name` is a unique index on `name`: one probe, whatever the number of accounts.
		const row = this.#db.do(() =>
			this.#db.one<FunctionRow>(
				`SELECT ${FUNCTION_COLUMNS} FROM functions WHERE name = ?`,
				name,
			),
		);
		return row && toFunction(row);
	}

	async list(accountId: string): Promise<FunctionRecord[]> {
		return this.#db
			.do(() =>
				this.#db.all<FunctionRow>(
					`SELECT ${FUNCTION_COLUMNS} FROM functions WHERE account_id = ? ORDER BY name`,
					accountId,
				),
			)
			.map(toFunction);
	}

	async getCode(
		accountId: string,
		name: string,
		revision?: number,
	): Promise<FunctionCode | undefined> {
		const row = this.#db.do(() =>
			this.#db.one<{ revision: number; sha256: string; data: Uint8Array }>(
				`SELECT r.revision AS revision, b.sha256 AS sha256, b.data AS data
				 FROM functions f
				 JOIN function_revisions r ON r.function_id = f.id AND r.revision = coalesce(?, f.revision)
				 JOIN code_blobs b ON b.account_id = f.account_id AND b.sha256 = r.code_sha256
				 WHERE f.account_id = ? AND f.name = ?`,
				revision ?? null,
				accountId,
				name,
			),
		);
		return (
			row && { revision: row.revision, sha256: row.sha256, code: buf(row.data) }
		);
	}

	async delete(accountId: string, name: string): Promise<void> {
		const changed = this.#db.tx(() => {
			const n = this.#db.run(
				"DELETE FROM functions WHERE account_id = ? AND name = ?",
				accountId,
				name,
			);
			if (n > 0) this.collectBlobs(accountId);
			return n;
		});
		if (changed === 0) throw functionNotFound(accountId, name);
	}

	async getPolicy(
		accountId: string,
		name: string,
	): Promise<FunctionPolicy | undefined> {
		const row = this.#db.do(() =>
			this.#db.one<FunctionPolicyRow>(
				"SELECT policy, policy_revision FROM functions WHERE account_id = ? AND name = ?",
				accountId,
				name,
			),
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
		return this.#db.tx(() => {
			const row = this.#db.one<{ policy_revision: number }>(
				"SELECT policy_revision FROM functions WHERE account_id = ? AND name = ?",
				accountId,
				name,
			);
			if (!row) throw functionNotFound(accountId, name);
			checkPolicyRevision(name, row.policy_revision, expectedPolicyRevision);
			const next = row.policy_revision + 1;
			this.#db.run(
				"UPDATE functions SET policy = ?, policy_revision = ?, updated_at = ? WHERE account_id = ? AND name = ?",
				document,
				next,
				this.#db.now(),
				accountId,
				name,
			);
			return next;
		});
	}
}
