/**
 * IAM groups in PostgreSQL: the group, its members (foreign keys to both sides, cascading), and
 * its inline policies. Deleting a group or a user drops the rows that name it. Names keep their
 * own spelling beside the lower-case key the keys use, as for users and roles.
 */
import { randomBytes } from "node:crypto";
import { StoreError } from "../errors.ts";
import { check, checkJsonObject, IAM_PATH, POLICY_NAME } from "../ids.ts";
import type { GroupStore } from "../store.ts";
import type { Group, GroupPolicy, User } from "../types.ts";
import type { PgDb, Queryable } from "./db.ts";

/** IAM group names: 1–128 of letters, digits and `+=,.@_-`. */
const GROUP_NAME = /^[\w+=,.@-]{1,128}$/;

interface GroupRow {
	[key: string]: unknown;
	account_id: string;
	group_name: string;
	group_id: string;
	path: string;
	created_at: number;
}

interface PolicyRow {
	[key: string]: unknown;
	account_id: string;
	group_name: string;
	policy_name: string;
	document: string;
	updated_at: number;
}

interface UserRow {
	[key: string]: unknown;
	account_id: string;
	user_name: string;
	user_id: string;
	path: string;
	created_at: number;
}

const COLUMNS = "g.account_id, g.group_name, g.group_id, g.path, g.created_at";
const POLICY_COLUMNS =
	"p.account_id, p.group_name, p.policy_name, p.document, p.updated_at";
const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** `AGPA` + 17 base32 characters: an IAM group id. */
function newGroupId(): string {
	let out = "AGPA";
	for (const b of randomBytes(17)) out += BASE32[b & 31];
	return out;
}

function toGroup(row: GroupRow): Group {
	return {
		accountId: row.account_id,
		groupName: row.group_name,
		groupId: row.group_id,
		arn: `arn:aws:iam::${row.account_id}:group${row.path}${row.group_name}`,
		path: row.path,
		createdAt: row.created_at,
	};
}

function toPolicy(row: PolicyRow): GroupPolicy {
	return {
		accountId: row.account_id,
		groupName: row.group_name,
		policyName: row.policy_name,
		document: row.document,
		updatedAt: row.updated_at,
	};
}

function toUser(row: UserRow): User {
	return {
		accountId: row.account_id,
		userName: row.user_name,
		userId: row.user_id,
		arn: `arn:aws:iam::${row.account_id}:user${row.path}${row.user_name}`,
		path: row.path,
		createdAt: row.created_at,
	};
}

function notFound(accountId: string, groupName: string): StoreError {
	return new StoreError(
		"STORE_NOT_FOUND",
		`group ${groupName} does not exist in account ${accountId}`,
	);
}

export class PgGroups implements GroupStore {
	readonly #db: PgDb;
	constructor(db: PgDb) {
		this.#db = db;
	}

	async #row(
		q: Queryable,
		accountId: string,
		groupName: string,
		lock = "",
	): Promise<GroupRow | undefined> {
		const { rows } = await q.query<GroupRow>(
			`SELECT ${COLUMNS} FROM groups g WHERE g.account_id = $1 AND g.name_key = lower($2) ${lock}`,
			[accountId, groupName],
		);
		return rows[0];
	}

	async create(input: {
		accountId: string;
		groupName: string;
		path?: string;
	}): Promise<Group> {
		const path = input.path ?? "/";
		check(input.groupName, GROUP_NAME, "group name");
		check(path, IAM_PATH, "IAM path");
		return this.#db.tx(async (q) => {
			const account = await q.query(
				"SELECT 1 FROM accounts WHERE account_id = $1",
				[input.accountId],
			);
			if (account.rows.length === 0)
				throw new StoreError(
					"STORE_NOT_FOUND",
					`account ${input.accountId} does not exist`,
				);
			const { rows } = await q.query<GroupRow>(
				`INSERT INTO groups AS g (account_id, name_key, group_name, group_id, path, created_at)
				 VALUES ($1, lower($2), $2, $3, $4, $5) ON CONFLICT (account_id, name_key) DO NOTHING
				 RETURNING ${COLUMNS}`,
				[input.accountId, input.groupName, newGroupId(), path, this.#db.now()],
			);
			if (rows.length === 0)
				throw new StoreError(
					"STORE_CONFLICT",
					`group ${input.groupName} already exists in account ${input.accountId} (names are case-insensitive)`,
				);
			return toGroup(rows[0] as GroupRow);
		});
	}

	async get(accountId: string, groupName: string): Promise<Group | undefined> {
		const row = await this.#row(this.#db, accountId, groupName);
		return row && toGroup(row);
	}

	async list(accountId: string): Promise<Group[]> {
		const { rows } = await this.#db.query<GroupRow>(
			`SELECT ${COLUMNS} FROM groups g WHERE g.account_id = $1 ORDER BY g.name_key, g.group_name`,
			[accountId],
		);
		return rows.map(toGroup);
	}

	async delete(accountId: string, groupName: string): Promise<void> {
		const { rowCount } = await this.#db.query(
			"DELETE FROM groups WHERE account_id = $1 AND name_key = lower($2)",
			[accountId, groupName],
		);
		if (rowCount === 0) throw notFound(accountId, groupName);
	}

	async addUser(
		accountId: string,
		groupName: string,
		userName: string,
	): Promise<void> {
		await this.#db.tx(async (q) => {
			if (!(await this.#row(q, accountId, groupName)))
				throw notFound(accountId, groupName);
			const user = await q.query(
				"SELECT 1 FROM users WHERE account_id = $1 AND name_key = lower($2)",
				[accountId, userName],
			);
			if (user.rows.length === 0)
				throw new StoreError(
					"STORE_NOT_FOUND",
					`user ${userName} does not exist in account ${accountId}`,
				);
			// The foreign keys catch a group or user deleted meanwhile (STORE_NOT_FOUND).
			await q.query(
				`INSERT INTO group_members (account_id, group_key, user_key, added_at) VALUES ($1, lower($2), lower($3), $4)
				 ON CONFLICT (account_id, group_key, user_key) DO NOTHING`,
				[accountId, groupName, userName, this.#db.now()],
			);
		});
	}

	async removeUser(
		accountId: string,
		groupName: string,
		userName: string,
	): Promise<void> {
		const { rowCount } = await this.#db.query(
			"DELETE FROM group_members WHERE account_id = $1 AND group_key = lower($2) AND user_key = lower($3)",
			[accountId, groupName, userName],
		);
		if (rowCount === 0)
			throw new StoreError(
				"STORE_NOT_FOUND",
				`user ${userName} is not a member of group ${groupName}`,
			);
	}

	async listUsers(accountId: string, groupName: string): Promise<User[]> {
		const { rows } = await this.#db.query<UserRow>(
			`SELECT u.account_id, u.user_name, u.user_id, u.path, u.created_at
			 FROM group_members m JOIN users u ON u.account_id = m.account_id AND u.name_key = m.user_key
			 WHERE m.account_id = $1 AND m.group_key = lower($2) ORDER BY u.name_key, u.user_name`,
			[accountId, groupName],
		);
		return rows.map(toUser);
	}

	async listGroupsForUser(
		accountId: string,
		userName: string,
	): Promise<Group[]> {
		const { rows } = await this.#db.query<GroupRow>(
			`SELECT ${COLUMNS} FROM group_members m JOIN groups g ON g.account_id = m.account_id AND g.name_key = m.group_key
			 WHERE m.account_id = $1 AND m.user_key = lower($2) ORDER BY g.name_key, g.group_name`,
			[accountId, userName],
		);
		return rows.map(toGroup);
	}

	async putPolicy(
		accountId: string,
		groupName: string,
		policyName: string,
		document: string,
	): Promise<void> {
		check(policyName, POLICY_NAME, "policy name");
		checkJsonObject(document, "a policy document");
		// One statement: the group's own spelling comes from its row; a missing group inserts nothing.
		const { rowCount } = await this.#db.query(
			`INSERT INTO group_policies (account_id, group_key, group_name, policy_name, document, updated_at)
			 SELECT account_id, name_key, group_name, $3, $4, $5 FROM groups WHERE account_id = $1 AND name_key = lower($2)
			 ON CONFLICT (account_id, group_key, policy_name) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at`,
			[accountId, groupName, policyName, document, this.#db.now()],
		);
		if (rowCount === 0) throw notFound(accountId, groupName);
	}

	async getPolicy(
		accountId: string,
		groupName: string,
		policyName: string,
	): Promise<GroupPolicy | undefined> {
		const row = await this.#db.one<PolicyRow>(
			`SELECT ${POLICY_COLUMNS} FROM group_policies p WHERE p.account_id = $1 AND p.group_key = lower($2) AND p.policy_name = $3`,
			[accountId, groupName, policyName],
		);
		return row && toPolicy(row);
	}

	async listPolicies(
		accountId: string,
		groupName: string,
	): Promise<GroupPolicy[]> {
		const { rows } = await this.#db.query<PolicyRow>(
			`SELECT ${POLICY_COLUMNS} FROM group_policies p WHERE p.account_id = $1 AND p.group_key = lower($2) ORDER BY p.policy_name`,
			[accountId, groupName],
		);
		return rows.map(toPolicy);
	}

	async deletePolicy(
		accountId: string,
		groupName: string,
		policyName: string,
	): Promise<void> {
		const { rowCount } = await this.#db.query(
			"DELETE FROM group_policies WHERE account_id = $1 AND group_key = lower($2) AND policy_name = $3",
			[accountId, groupName, policyName],
		);
		if (rowCount === 0)
			throw new StoreError(
				"STORE_NOT_FOUND",
				`group ${groupName} has no inline policy ${policyName}`,
			);
	}

	async policiesForUser(
		accountId: string,
		userName: string,
	): Promise<GroupPolicy[]> {
		const { rows } = await this.#db.query<PolicyRow>(
			`SELECT ${POLICY_COLUMNS} FROM group_members m JOIN group_policies p ON p.account_id = m.account_id AND p.group_key = m.group_key
			 WHERE m.account_id = $1 AND m.user_key = lower($2) ORDER BY p.group_key, p.group_name, p.policy_name`,
			[accountId, userName],
		);
		return rows.map(toPolicy);
	}
}
