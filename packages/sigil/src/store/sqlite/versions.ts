/**
 * Published versions and aliases in SQLite: `function_versions` (a snapshot of the function's
 * config and the sha256 of its bundle in `code_blobs`, which the function's blob collection keeps
 * while the version exists) and `function_aliases`, both deleted with their function. Every
 * write is one transaction that re-reads what it checks, so an alias never points at a deleted
 * version and a version number is never handed out twice.
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
import { buf, type Db } from "./db.ts";
import type { SqliteFunctions } from "./functions.ts";

export class SqliteVersions implements FunctionVersionStore {
	readonly #db: Db;
	readonly #functions: SqliteFunctions;
	constructor(db: Db, functions: SqliteFunctions) {
		this.#db = db;
		this.#functions = functions;
	}

	#head(accountId: string, name: string): FunctionHead {
		const head = this.#db.one<FunctionHead>(
			"SELECT id, revision, config, code_sha256, code_size, last_version FROM functions WHERE account_id = ? AND name = ?",
			accountId,
			name,
		);
		if (!head) throw functionNotFound(accountId, name);
		return head;
	}

	#version(functionId: number, version: number): VersionRow | undefined {
		return this.#db.one<VersionRow>(
			`SELECT ${VERSION_COLUMNS} FROM function_versions v JOIN functions f ON f.id = v.function_id WHERE v.function_id = ? AND v.version = ?`,
			functionId,
			version,
		);
	}

	#alias(functionId: number, alias: string): AliasRow | undefined {
		return this.#db.one<AliasRow>(
			`SELECT ${ALIAS_COLUMNS} FROM function_aliases a JOIN functions f ON f.id = a.function_id WHERE a.function_id = ? AND a.alias = ?`,
			functionId,
			alias,
		);
	}

	/** A version an alias names must be published (inside the caller's transaction). */
	#requirePublished(
		head: FunctionHead,
		name: string,
		functionVersion: string,
	): void {
		const n = versionNumber(functionVersion);
		if (n !== undefined && !this.#version(head.id, n))
			throw versionMissing(name, functionVersion);
	}

	async publish(input: {
		accountId: string;
		name: string;
		description: string;
		expectedRevision?: number;
	}): Promise<{ version: FunctionVersionRecord; created: boolean }> {
		const { accountId, name, description, expectedRevision } = input;
		checkDescription(description);
		return this.#db.tx(() => {
			const head = this.#head(accountId, name);
			checkRevision(`function ${name}`, head.revision, expectedRevision);
			const newest = this.#db.one<VersionRow>(
				`SELECT ${VERSION_COLUMNS} FROM function_versions v JOIN functions f ON f.id = v.function_id WHERE v.function_id = ? ORDER BY v.version DESC LIMIT 1`,
				head.id,
			);
			if (unchangedSince(newest, head))
				return { version: toVersion(newest), created: false };
			const count =
				this.#db.one<{ n: number }>(
					"SELECT count(*) AS n FROM function_versions WHERE function_id = ?",
					head.id,
				)?.n ?? 0;
			if (count >= MAX_VERSIONS) throw tooManyVersions(name);
			const version = head.last_version + 1;
			this.#db.run(
				"INSERT INTO function_versions (function_id, version, config, code_sha256, code_size, description, from_revision, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
				head.id,
				version,
				head.config,
				head.code_sha256,
				head.code_size,
				description,
				head.revision,
				this.#db.now(),
			);
			this.#db.run(
				"UPDATE functions SET last_version = ? WHERE id = ?",
				version,
				head.id,
			);
			return {
				version: toVersion(this.#version(head.id, version) as VersionRow),
				created: true,
			};
		});
	}

	async get(
		accountId: string,
		name: string,
		version: number,
	): Promise<FunctionVersionRecord | undefined> {
		const row = this.#db.do(() =>
			this.#db.one<VersionRow>(
				`SELECT ${VERSION_COLUMNS} FROM function_versions v JOIN functions f ON f.id = v.function_id WHERE f.account_id = ? AND f.name = ? AND v.version = ?`,
				accountId,
				name,
				version,
			),
		);
		return row && toVersion(row);
	}

	async list(
		accountId: string,
		name: string,
		page: { after?: number; limit: number },
	): Promise<FunctionVersionRecord[]> {
		return this.#db
			.do(() =>
				this.#db.all<VersionRow>(
					`SELECT ${VERSION_COLUMNS} FROM function_versions v JOIN functions f ON f.id = v.function_id WHERE f.account_id = ? AND f.name = ? AND v.version > ? ORDER BY v.version LIMIT ?`,
					accountId,
					name,
					page.after ?? 0,
					versionPageLimit(page.limit),
				),
			)
			.map(toVersion);
	}

	async getCode(
		accountId: string,
		name: string,
		version: number,
	): Promise<FunctionCode | undefined> {
		const row = this.#db.do(() =>
			this.#db.one<{ sha256: string; data: Uint8Array }>(
				`SELECT b.sha256 AS sha256, b.data AS data
				 FROM functions f
				 JOIN function_versions v ON v.function_id = f.id AND v.version = ?
				 JOIN code_blobs b ON b.account_id = f.account_id AND b.sha256 = v.code_sha256
				 WHERE f.account_id = ? AND f.name = ?`,
				version,
				accountId,
				name,
			),
		);
		return (
			row && { revision: version, sha256: row.sha256, code: buf(row.data) }
		);
	}

	async delete(
		accountId: string,
		name: string,
		version: number,
	): Promise<boolean> {
		return this.#db.tx(() => {
			const head = this.#db.one<{ id: number }>(
				"SELECT id FROM functions WHERE account_id = ? AND name = ?",
				accountId,
				name,
			);
			if (!head) return false;
			const text = String(version);
			const users = this.#db.all<{ alias: string }>(
				"SELECT alias FROM function_aliases WHERE function_id = ? AND (function_version = ? OR routing_version = ?) ORDER BY alias",
				head.id,
				text,
				text,
			);
			if (users.length) throw versionInUse(users.map((u) => u.alias));
			const n = this.#db.run(
				"DELETE FROM function_versions WHERE function_id = ? AND version = ?",
				head.id,
				version,
			);
			if (n > 0) this.#functions.collectBlobs(accountId);
			return n > 0;
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
		return this.#db.tx(() => {
			const head = this.#head(accountId, name);
			if (this.#alias(head.id, alias)) throw aliasExists(name, alias);
			this.#requirePublished(head, name, functionVersion);
			if (routing) this.#requirePublished(head, name, routing.version);
			const count =
				this.#db.one<{ n: number }>(
					"SELECT count(*) AS n FROM function_aliases WHERE function_id = ?",
					head.id,
				)?.n ?? 0;
			if (count >= MAX_ALIASES) throw tooManyAliases(name);
			const now = this.#db.now();
			this.#db.run(
				"INSERT INTO function_aliases (function_id, alias, function_version, description, routing_version, routing_weight, revision, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)",
				head.id,
				alias,
				functionVersion,
				description,
				routing?.version ?? null,
				routing?.weight ?? null,
				now,
				now,
			);
			return toAlias(this.#alias(head.id, alias) as AliasRow);
		});
	}

	async getAlias(
		accountId: string,
		name: string,
		alias: string,
	): Promise<FunctionAliasRecord | undefined> {
		const row = this.#db.do(() =>
			this.#db.one<AliasRow>(
				`SELECT ${ALIAS_COLUMNS} FROM function_aliases a JOIN functions f ON f.id = a.function_id WHERE f.account_id = ? AND f.name = ? AND a.alias = ?`,
				accountId,
				name,
				alias,
			),
		);
		return row && toAlias(row);
	}

	async listAliases(
		accountId: string,
		name: string,
		functionVersion?: string,
	): Promise<FunctionAliasRecord[]> {
		return this.#db
			.do(() =>
				this.#db.all<AliasRow>(
					`SELECT ${ALIAS_COLUMNS} FROM function_aliases a JOIN functions f ON f.id = a.function_id WHERE f.account_id = ? AND f.name = ? AND (? IS NULL OR a.function_version = ?) ORDER BY a.alias`,
					accountId,
					name,
					functionVersion ?? null,
					functionVersion ?? null,
				),
			)
			.map(toAlias);
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
		return this.#db.tx(() => {
			const head = this.#head(accountId, name);
			const row = this.#alias(head.id, alias);
			if (!row) throw aliasNotFound(name, alias);
			checkRevision(`alias ${alias}`, row.revision, expectedRevision);
			const current = toAlias(row);
			const functionVersion = input.functionVersion ?? current.functionVersion;
			const routing = nextRouting(current.routing, input.routing);
			checkRouting(functionVersion, routing);
			this.#requirePublished(head, name, functionVersion);
			if (routing) this.#requirePublished(head, name, routing.version);
			this.#db.run(
				"UPDATE function_aliases SET function_version = ?, description = ?, routing_version = ?, routing_weight = ?, revision = revision + 1, updated_at = ? WHERE function_id = ? AND alias = ?",
				functionVersion,
				input.description ?? current.description,
				routing?.version ?? null,
				routing?.weight ?? null,
				this.#db.now(),
				head.id,
				alias,
			);
			return toAlias(this.#alias(head.id, alias) as AliasRow);
		});
	}

	async deleteAlias(
		accountId: string,
		name: string,
		alias: string,
	): Promise<boolean> {
		const n = this.#db.tx(() =>
			this.#db.run(
				"DELETE FROM function_aliases WHERE alias = ? AND function_id = (SELECT id FROM functions WHERE account_id = ? AND name = ?)",
				alias,
				accountId,
				name,
			),
		);
		return n > 0;
	}

	async putAliasUrl(
		accountId: string,
		name: string,
		alias: string,
		url: AliasUrlConfig | null,
	): Promise<FunctionAliasRecord> {
		const text = url === null ? null : JSON.stringify(url);
		if (text !== null) checkJsonObject(text, "a function URL config");
		return this.#db.tx(() => {
			const head = this.#head(accountId, name);
			const n = this.#db.run(
				"UPDATE function_aliases SET url_config = ?, updated_at = ? WHERE function_id = ? AND alias = ?",
				text,
				this.#db.now(),
				head.id,
				alias,
			);
			if (n === 0) throw aliasNotFound(name, alias);
			return toAlias(this.#alias(head.id, alias) as AliasRow);
		});
	}

	async getPolicy(
		accountId: string,
		name: string,
		qualifier: string,
	): Promise<FunctionPolicy | undefined> {
		const { table, column, key } = policyRow(qualifier);
		const row = this.#db.do(() =>
			this.#db.one<{ policy: string | null; policy_revision: number }>(
				`SELECT q.policy AS policy, q.policy_revision AS policy_revision FROM ${table} q JOIN functions f ON f.id = q.function_id WHERE f.account_id = ? AND f.name = ? AND q.${column} = ?`,
				accountId,
				name,
				key,
			),
		);
		return row && { document: row.policy, policyRevision: row.policy_revision };
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
		return this.#db.tx(() => {
			const head = this.#head(accountId, name);
			const row = this.#db.one<{ policy_revision: number }>(
				`SELECT policy_revision FROM ${table} WHERE function_id = ? AND ${column} = ?`,
				head.id,
				key,
			);
			if (!row) throw qualifierNotFound(name, qualifier);
			checkPolicyRevision(
				`${name}:${qualifier}`,
				row.policy_revision,
				expectedPolicyRevision,
			);
			const next = row.policy_revision + 1;
			this.#db.run(
				`UPDATE ${table} SET policy = ?, policy_revision = ? WHERE function_id = ? AND ${column} = ?`,
				document,
				next,
				head.id,
				key,
			);
			return next;
		});
	}
}
