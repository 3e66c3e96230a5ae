/**
 * IAM groups in PostgreSQL: the group, its members (foreign keys to both sides, cascading), and
 * its inline policies. Deleting a group or a user drops the rows that name it. Names keep their
 * own spelling beside the lower-case key the keys use, as for users and roles.
 */
import { StoreError } from "../errors.ts";
import {
	GROUP_COLUMNS,
	GROUP_NAME,
	type GroupPolicyRow,
	type GroupRow,
	groupNotFound,
	type MemberRow,
	toGroup,
	toGroupPolicy,
	toMember,
} from "../group-rows.ts";
import {
	check,
	checkJsonObject,
	IAM_PATH,
	newGroupId,
	POLICY_NAME,
} from "../ids.ts";
import type { GroupStore } from "../store.ts";
import type { Group, GroupPolicy, User } from "../types.ts";
import type { PgDb, Queryable } from "./db.ts";

const POLICY_COLUMNS =
	"p.account_id, p.group_name, p.policy_name, p.document, p.updated_at";

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
			`SELECT ${GROUP_COLUMNS} FROM groups g WHERE g.account_id = $1 AND g.name_key = lower($2) ${lock}`,
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
				 RETURNING ${GROUP_COLUMNS}`,
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
			`SELECT ${GROUP_COLUMNS} FROM groups g WHERE g.account_id = $1 ORDER BY g.name_key, g.group_name`,
			[accountId],
		);
		return rows.map(toGroup);
	}

	async delete(accountId: string, groupName: string): Promise<void> {
		const { rowCount } = await this.#db.query(
			"DELETE FROM groups WHERE account_id = $1 AND name_key = lower($2)",
			[accountId, groupName],
		);
		if (rowCount === 0) throw groupNotFound(accountId, groupName);
	}

	async addUser(
		accountId: string,
		groupName: string,
		userName: string,
	): Promise<void> {
		await this.#db.tx(async (q) => {
			if (!(await this.#row(q, accountId, groupName)))
				throw groupNotFound(accountId, groupName);
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
		const { rows } = await this.#db.query<MemberRow>(
			`SELECT u.account_id, u.user_name, u.user_id, u.path, u.created_at
			 FROM group_members m JOIN users u ON u.account_id = m.account_id AND u.name_key = m.user_key
			 WHERE m.account_id = $1 AND m.group_key = lower($2) ORDER BY u.name_key, u.user_name`,
			[accountId, groupName],
		);
		return rows.map(toMember);
	}

	async listGroupsForUser(
		accountId: string,
		userName: string,
	): Promise<Group[]> {
		const { rows } = await this.#db.query<GroupRow>(
			`SELECT ${GROUP_COLUMNS} FROM group_members m JOIN groups g ON g.account_id = m.account_id AND g.name_key = m.group_key
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
		if (rowCount === 0) throw groupNotFound(accountId, groupName);
	}

	async getPolicy(
		accountId: string,
		groupName: string,
		policyName: string,
	): Promise<GroupPolicy | undefined> {
		const row = await this.#db.one<GroupPolicyRow>(
			`SELECT ${POLICY_COLUMNS} FROM group_policies p WHERE p.account_id = $1 AND p.group_key = lower($2) AND p.policy_name = $3`,
			[accountId, groupName, policyName],
		);
		return row && toGroupPolicy(row);
	}

	async listPolicies(
		accountId: string,
		groupName: string,
	): Promise<GroupPolicy[]> {
		const { rows } = await this.#db.query<GroupPolicyRow>(
			`SELECT ${POLICY_COLUMNS} FROM group_policies p WHERE p.account_id = $1 AND p.group_key = lower($2) ORDER BY p.policy_name`,
			[accountId, groupName],
		);
		return rows.map(toGroupPolicy);
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
		const { rows } = await this.#db.query<GroupPolicyRow>(
			`SELECT ${POLICY_COLUMNS} FROM group_members m JOIN group_policies p ON p.account_id = m.account_id AND p.group_key = m.group_key
			 WHERE m.account_id = $1 AND m.user_key = lower($2) ORDER BY p.group_key, p.group_name, p.policy_name`,
			[accountId, userName],
		);
		return rows.map(toGroupPolicy);
	}
}
