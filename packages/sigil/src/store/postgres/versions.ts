/**
 * Published versions and aliases in PostgreSQL, as in the SQLite adapter (sqlite/versions.ts):
 * `function_versions` snapshots the function's config and bundle sha256 (kept in `code_blobs`
 * while the version exists), `function_aliases` points at versions; both go with their function.
 * Every write locks the function's row (`FOR UPDATE`) and re-reads what it checks, so two
 * gateways publishing at once get two numbers and an alias never points at a deleted version.
 * Deleting a version collects bundles under the account row's `FOR NO KEY UPDATE`, as deploys do.
 */

import {
	ALIAS_COLUMNS,
	type AliasRow,
	aliasExists,
	aliasNotFound,
	checkAliasTarget,
	checkDescription,
	checkNewAlias,
	checkPolicyRevision,
	checkRevision,
	checkRouting,
	type FunctionHead,
	functionNotFound,
	nextRouting,
	policyRow,
	qualifierNotFound,
	toAlias,
	tooManyAliases,
	tooManyVersions,
	toVersion,
	unchangedSince,
	VERSION_COLUMNS,
	type VersionRow,
	versionInUse,
	versionMissing,
	versionNumber,
	versionPageLimit,
} from "../function-version-rows.ts";
import { checkJsonObject } from "../ids.ts";
import { MAX_ALIASES, MAX_VERSIONS } from "../limits.ts";
import type { FunctionVersionStore } from "../store.ts";
import type {
	AliasRouting,
	AliasUrlConfig,
	FunctionAliasRecord,
	FunctionCode,
	FunctionPolicy,
	FunctionVersionRecord,
} from "../types.ts";
import { requireAccount } from "./accounts.ts";
import type { PgDb, Queryable } from "./db.ts";
import { collectBlobs } from "./functions.ts";

async function head(
	q: Queryable,
	accountId: string,
	name: string,
): Promise<FunctionHead> {
	const { rows } = await q.query<FunctionHead>(
		"SELECT id, revision, config, code_sha256, code_size, last_version FROM functions WHERE account_id = $1 AND name = $2 FOR UPDATE",
		[accountId, name],
	);
	const row = rows[0];
	if (!row) throw functionNotFound(accountId, name);
	return { ...row, id: Number(row.id) };
}

async function versionRow(
	q: Queryable,
	functionId: number,
	version: number,
): Promise<VersionRow | undefined> {
	const { rows } = await q.query<VersionRow>(
		`SELECT ${VERSION_COLUMNS} FROM function_versions v JOIN functions f ON f.id = v.function_id WHERE v.function_id = $1 AND v.version = $2`,
		[functionId, version],
	);
	return rows[0];
}

async function aliasRow(
	q: Queryable,
	functionId: number,
	alias: string,
): Promise<AliasRow | undefined> {
	const { rows } = await q.query<AliasRow>(
		`SELECT ${ALIAS_COLUMNS} FROM function_aliases a JOIN functions f ON f.id = a.function_id WHERE a.function_id = $1 AND a.alias = $2`,
		[functionId, alias],
	);
	return rows[0];
}

async function requirePublished(
	q: Queryable,
	functionId: number,
	name: string,
	functionVersion: string,
): Promise<void> {
	const n = versionNumber(functionVersion);
	if (n !== undefined && !(await versionRow(q, functionId, n)))
		throw versionMissing(name, functionVersion);
}

async function count(
	q: Queryable,
	table: "function_versions" | "function_aliases",
	functionId: number,
): Promise<number> {
	const { rows } = await q.query<{ n: number }>(
		`SELECT count(*)::int AS n FROM ${table} WHERE function_id = $1`,
		[functionId],
	);
	return Number(rows[0]?.n ?? 0);
}

export class PgVersions implements FunctionVersionStore {
	readonly #db: PgDb;
	constructor(db: PgDb) {
		this.#db = db;
	}

	async publish(input: {
		accountId: string;
		name: string;
		description: string;
		expectedRevision?: number;
	}): Promise<{ version: FunctionVersionRecord; created: boolean }> {
		const { accountId, name, description, expectedRevision } = input;
		checkDescription(description);
		return this.#db.tx(async (q) => {
			const fn = await head(q, accountId, name);
			checkRevision(`function ${name}`, fn.revision, expectedRevision);
			const { rows } = await q.query<VersionRow>(
				`SELECT ${VERSION_COLUMNS} FROM function_versions v JOIN functions f ON f.id = v.function_id WHERE v.function_id = $1 ORDER BY v.version DESC LIMIT 1`,
				[fn.id],
			);
			const newest = rows[0];
			if (unchangedSince(newest, fn))
				return { version: toVersion(newest), created: false };
			if ((await count(q, "function_versions", fn.id)) >= MAX_VERSIONS)
				throw tooManyVersions(name);
			const version = fn.last_version + 1;
			await q.query(
				"INSERT INTO function_versions (function_id, version, config, code_sha256, code_size, description, from_revision, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
				[
					fn.id,
					version,
					fn.config,
					fn.code_sha256,
					fn.code_size,
					description,
					fn.revision,
					this.#db.now(),
				],
			);
			await q.query("UPDATE functions SET last_version = $1 WHERE id = $2", [
				version,
				fn.id,
			]);
			const row = (await versionRow(q, fn.id, version)) as VersionRow;
			return { version: toVersion(row), created: true };
		});
	}

	async get(
		accountId: string,
		name: string,
		version: number,
	): Promise<FunctionVersionRecord | undefined> {
		const row = await this.#db.one<VersionRow>(
			`SELECT ${VERSION_COLUMNS} FROM function_versions v JOIN functions f ON f.id = v.function_id WHERE f.account_id = $1 AND f.name = $2 AND v.version = $3`,
			[accountId, name, version],
		);
		return row && toVersion(row);
	}

	async list(
		accountId: string,
		name: string,
		page: { after?: number; limit: number },
	): Promise<FunctionVersionRecord[]> {
		const { rows } = await this.#db.query<VersionRow>(
			`SELECT ${VERSION_COLUMNS} FROM function_versions v JOIN functions f ON f.id = v.function_id WHERE f.account_id = $1 AND f.name = $2 AND v.version > $3 ORDER BY v.version LIMIT $4`,
			[accountId, name, page.after ?? 0, versionPageLimit(page.limit)],
		);
		return rows.map(toVersion);
	}

	async getCode(
		accountId: string,
		name: string,
		version: number,
	): Promise<FunctionCode | undefined> {
		const row = await this.#db.one<{ sha256: string; data: Buffer }>(
			`SELECT b.sha256 AS sha256, b.data AS data
			 FROM functions f
			 JOIN function_versions v ON v.function_id = f.id AND v.version = $3
			 JOIN code_blobs b ON b.account_id = f.account_id AND b.sha256 = v.code_sha256
			 WHERE f.account_id = $1 AND f.name = $2`,
			[accountId, name, version],
		);
		return row && { revision: version, sha256: row.sha256, code: row.data };
	}

	async delete(
		accountId: string,
		name: string,
		version: number,
	): Promise<boolean> {
		return this.#db.tx(async (q) => {
			await requireAccount(q, accountId, "FOR NO KEY UPDATE").catch(() => {});
			const { rows } = await q.query<{ id: number }>(
				"SELECT id FROM functions WHERE account_id = $1 AND name = $2 FOR UPDATE",
				[accountId, name],
			);
			const fn = rows[0];
			if (!fn) return false;
			const text = String(version);
			const users = await q.query<{ alias: string }>(
				"SELECT alias FROM function_aliases WHERE function_id = $1 AND (function_version = $2 OR routing_version = $2) ORDER BY alias",
				[fn.id, text],
			);
			if (users.rows.length) throw versionInUse(users.rows.map((u) => u.alias));
			const { rowCount } = await q.query(
				"DELETE FROM function_versions WHERE function_id = $1 AND version = $2",
				[fn.id, version],
			);
			if (rowCount > 0) await collectBlobs(q, accountId);
			return rowCount > 0;
		});
	}

	async createAlias(input: {
		accountId: string;
		name: string;
		alias: string;
		functionVersion: string;
		description: string;
		routing?: AliasRouting;
	}): Promise<FunctionAliasRecord> {
		const { accountId, name, alias, functionVersion, description, routing } =
			input;
		checkNewAlias(alias, functionVersion, description, routing);
		return this.#db.tx(async (q) => {
			const fn = await head(q, accountId, name);
			if (await aliasRow(q, fn.id, alias)) throw aliasExists(name, alias);
			await requirePublished(q, fn.id, name, functionVersion);
			if (routing) await requirePublished(q, fn.id, name, routing.version);
			if ((await count(q, "function_aliases", fn.id)) >= MAX_ALIASES)
				throw tooManyAliases(name);
			const now = this.#db.now();
			await q.query(
				"INSERT INTO function_aliases (function_id, alias, function_version, description, routing_version, routing_weight, revision, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7)",
				[
					fn.id,
					alias,
					functionVersion,
					description,
					routing?.version ?? null,
					routing?.weight ?? null,
					now,
				],
			);
			return toAlias((await aliasRow(q, fn.id, alias)) as AliasRow);
		});
	}

	async getAlias(
		accountId: string,
		name: string,
		alias: string,
	): Promise<FunctionAliasRecord | undefined> {
		const row = await this.#db.one<AliasRow>(
			`SELECT ${ALIAS_COLUMNS} FROM function_aliases a JOIN functions f ON f.id = a.function_id WHERE f.account_id = $1 AND f.name = $2 AND a.alias = $3`,
			[accountId, name, alias],
		);
		return row && toAlias(row);
	}

	async listAliases(
		accountId: string,
		name: string,
		functionVersion?: string,
	): Promise<FunctionAliasRecord[]> {
		const { rows } = await this.#db.query<AliasRow>(
			`SELECT ${ALIAS_COLUMNS} FROM function_aliases a JOIN functions f ON f.id = a.function_id WHERE f.account_id = $1 AND f.name = $2 AND ($3::text IS NULL OR a.function_version = $3) ORDER BY a.alias`,
			[accountId, name, functionVersion ?? null],
		);
		return rows.map(toAlias);
	}

	async updateAlias(input: {
		accountId: string;
		name: string;
		alias: string;
		functionVersion?: string;
		description?: string;
		routing?: AliasRouting | null;
		expectedRevision?: number;
	}): Promise<FunctionAliasRecord> {
		const { accountId, name, alias, expectedRevision } = input;
		if (input.functionVersion !== undefined)
			checkAliasTarget(input.functionVersion);
		if (input.description !== undefined) checkDescription(input.description);
		return this.#db.tx(async (q) => {
			const fn = await head(q, accountId, name);
			const row = await aliasRow(q, fn.id, alias);
			if (!row) throw aliasNotFound(name, alias);
			checkRevision(`alias ${alias}`, row.revision, expectedRevision);
			const current = toAlias(row);
			const functionVersion = input.functionVersion ?? current.functionVersion;
			const routing = nextRouting(current.routing, input.routing);
			checkRouting(functionVersion, routing);
			await requirePublished(q, fn.id, name, functionVersion);
			if (routing) await requirePublished(q, fn.id, name, routing.version);
			await q.query(
				"UPDATE function_aliases SET function_version = $1, description = $2, routing_version = $3, routing_weight = $4, revision = revision + 1, updated_at = $5 WHERE function_id = $6 AND alias = $7",
				[
					functionVersion,
					input.description ?? current.description,
					routing?.version ?? null,
					routing?.weight ?? null,
					this.#db.now(),
					fn.id,
					alias,
				],
			);
			return toAlias((await aliasRow(q, fn.id, alias)) as AliasRow);
		});
	}

	async deleteAlias(
		accountId: string,
		name: string,
		alias: string,
	): Promise<boolean> {
		const { rowCount } = await this.#db.query(
			"DELETE FROM function_aliases WHERE alias = $1 AND function_id = (SELECT id FROM functions WHERE account_id = $2 AND name = $3)",
			[alias, accountId, name],
		);
		return rowCount > 0;
	}

	async putAliasUrl(
		accountId: string,
		name: string,
		alias: string,
		url: AliasUrlConfig | null,
	): Promise<FunctionAliasRecord> {
		const text = url === null ? null : JSON.stringify(url);
		if (text !== null) checkJsonObject(text, "a function URL config");
		return this.#db.tx(async (q) => {
			const fn = await head(q, accountId, name);
			const { rowCount } = await q.query(
				"UPDATE function_aliases SET url_config = $1, updated_at = $2 WHERE function_id = $3 AND alias = $4",
				[text, this.#db.now(), fn.id, alias],
			);
			if (rowCount === 0) throw aliasNotFound(name, alias);
			return toAlias((await aliasRow(q, fn.id, alias)) as AliasRow);
		});
	}

	async getPolicy(
		accountId: string,
		name: string,
		qualifier: string,
	): Promise<FunctionPolicy | undefined> {
		const { table, column, key } = policyRow(qualifier);
		const row = await this.#db.one<{
			policy: string | null;
			policy_revision: number;
		}>(
			`SELECT q.policy AS policy, q.policy_revision AS policy_revision FROM ${table} q JOIN functions f ON f.id = q.function_id WHERE f.account_id = $1 AND f.name = $2 AND q.${column} = $3`,
			[accountId, name, key],
		);
		return (
			row && {
				document: row.policy,
				policyRevision: Number(row.policy_revision),
			}
		);
	}

	async putPolicy(
		accountId: string,
		name: string,
		qualifier: string,
		document: string | null,
		expectedPolicyRevision?: number,
	): Promise<number> {
		if (document !== null) checkJsonObject(document, "a resource policy");
		const { table, column, key } = policyRow(qualifier);
		return this.#db.tx(async (q) => {
			const fn = await head(q, accountId, name);
			const { rows } = await q.query<{ policy_revision: number }>(
				`SELECT policy_revision FROM ${table} WHERE function_id = $1 AND ${column} = $2 FOR UPDATE`,
				[fn.id, key],
			);
			const row = rows[0];
			if (!row) throw qualifierNotFound(name, qualifier);
			const current = Number(row.policy_revision);
			checkPolicyRevision(
				`${name}:${qualifier}`,
				current,
				expectedPolicyRevision,
			);
			await q.query(
				`UPDATE ${table} SET policy = $1, policy_revision = $2 WHERE function_id = $3 AND ${column} = $4`,
				[document, current + 1, fn.id, key],
			);
			return current + 1;
		});
	}
}
