/**
 * IAM groups in SQLite: the group, its members (foreign keys to both sides, cascading), and its
 * inline policies. Deleting a group or a user drops the rows that name it.
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
import type { Db } from "./db.ts";

export class SqliteGroups implements GroupStore {
	readonly #db: Db;
	constructor(db: Db) {
		this.#db = db;
	}

	#row(accountId: string, groupName: string): GroupRow | undefined {
		return this.#db.one<GroupRow>(
			`SELECT ${GROUP_COLUMNS} FROM groups g WHERE g.account_id = ? AND g.group_name = ?`,
			accountId,
			groupName,
		);
	}

	async create(input: {
		accountId: string;
		groupName: string;
		path?: string;
	}): Promise<Group> {
		const path = input.path ?? "/";
		check(input.groupName, GROUP_NAME, "group name");
		check(path, IAM_PATH, "IAM path");
		return this.#db.tx(() => {
			this.#db.requireAccount(input.accountId);
			if (this.#row(input.accountId, input.groupName))
				throw new StoreError(
					"STORE_CONFLICT",
					`group ${input.groupName} already exists in account ${input.accountId} (names are case-insensitive)`,
				);
			const row: GroupRow = {
				account_id: input.accountId,
				group_name: input.groupName,
				group_id: newGroupId(),
				path,
				created_at: this.#db.now(),
			};
			this.#db.run(
				"INSERT INTO groups (account_id, group_name, group_id, path, created_at) VALUES (?, ?, ?, ?, ?)",
				row.account_id,
				row.group_name,
				row.group_id,
				row.path,
				row.created_at,
			);
			return toGroup(row);
		});
	}

	async get(accountId: string, groupName: string): Promise<Group | undefined> {
		const row = this.#db.do(() => this.#row(accountId, groupName));
		return row && toGroup(row);
	}

	async list(accountId: string): Promise<Group[]> {
		return this.#db
			.do(() =>
				this.#db.all<GroupRow>(
					`SELECT ${GROUP_COLUMNS} FROM groups g WHERE g.account_id = ? ORDER BY g.group_name`,
					accountId,
				),
			)
			.map(toGroup);
	}

	async delete(accountId: string, groupName: string): Promise<void> {
		const changed = this.#db.tx(() =>
			this.#db.run(
				"DELETE FROM groups WHERE account_id = ? AND group_name = ?",
				accountId,
				groupName,
			),
		);
		if (changed === 0) throw groupNotFound(accountId, groupName);
	}

	async addUser(
		accountId: string,
		groupName: string,
		userName: string,
	): Promise<void> {
		this.#db.tx(() => {
			const group = this.#row(accountId, groupName);
			if (!group) throw groupNotFound(accountId, groupName);
			const user = this.#db.one<{ name: string }>(
				"SELECT user_name AS name FROM users WHERE account_id = ? AND user_name = ?",
				accountId,
				userName,
			);
			if (!user)
				throw new StoreError(
					"STORE_NOT_FOUND",
					`user ${userName} does not exist in account ${accountId}`,
				);
			this.#db.run(
				`INSERT INTO group_members (account_id, group_name, user_name, added_at) VALUES (?, ?, ?, ?)
				 ON CONFLICT (account_id, group_name, user_name) DO NOTHING`,
				accountId,
				group.group_name,
				user.name,
				this.#db.now(),
			);
		});
	}

	async removeUser(
		accountId: string,
		groupName: string,
		userName: string,
	): Promise<void> {
		const changed = this.#db.tx(() =>
			this.#db.run(
				"DELETE FROM group_members WHERE account_id = ? AND group_name = ? AND user_name = ?",
				accountId,
				groupName,
				userName,
			),
		);
		if (changed === 0)
			throw new StoreError(
				"STORE_NOT_FOUND",
				`user ${userName} is not a member of group ${groupName}`,
			);
	}

	async listUsers(accountId: string, groupName: string): Promise<User[]> {
		return this.#db
			.do(() =>
				this.#db.all<MemberRow>(
					`SELECT u.account_id, u.user_name, u.user_id, u.path, u.created_at
					 FROM group_members m JOIN users u ON u.account_id = m.account_id AND u.user_name = m.user_name
					 WHERE m.account_id = ? AND m.group_name = ? ORDER BY u.user_name`,
					accountId,
					groupName,
				),
			)
			.map(toMember);
	}

	async listGroupsForUser(
		accountId: string,
		userName: string,
	): Promise<Group[]> {
		return this.#db
			.do(() =>
				this.#db.all<GroupRow>(
					`SELECT ${GROUP_COLUMNS} FROM group_members m JOIN groups g ON g.account_id = m.account_id AND g.group_name = m.group_name
					 WHERE m.account_id = ? AND m.user_name = ? ORDER BY g.group_name`,
					accountId,
					userName,
				),
			)
			.map(toGroup);
	}

	async putPolicy(
		accountId: string,
		groupName: string,
		policyName: string,
		document: string,
	): Promise<void> {
		check(policyName, POLICY_NAME, "policy name");
		checkJsonObject(document, "a policy document");
		this.#db.tx(() => {
			const group = this.#row(accountId, groupName);
			if (!group) throw groupNotFound(accountId, groupName);
			this.#db.run(
				`INSERT INTO group_policies (account_id, group_name, policy_name, document, updated_at) VALUES (?, ?, ?, ?, ?)
				 ON CONFLICT (account_id, group_name, policy_name) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at`,
				accountId,
				group.group_name,
				policyName,
				document,
				this.#db.now(),
			);
		});
	}

	async getPolicy(
		accountId: string,
		groupName: string,
		policyName: string,
	): Promise<GroupPolicy | undefined> {
		const row = this.#db.do(() =>
			this.#db.one<GroupPolicyRow>(
				"SELECT * FROM group_policies WHERE account_id = ? AND group_name = ? AND policy_name = ?",
				accountId,
				groupName,
				policyName,
			),
		);
		return row && toGroupPolicy(row);
	}

	async listPolicies(
		accountId: string,
		groupName: string,
	): Promise<GroupPolicy[]> {
		return this.#db
			.do(() =>
				this.#db.all<GroupPolicyRow>(
					"SELECT * FROM group_policies WHERE account_id = ? AND group_name = ? ORDER BY policy_name",
					accountId,
					groupName,
				),
			)
			.map(toGroupPolicy);
	}

	async deletePolicy(
		accountId: string,
		groupName: string,
		policyName: string,
	): Promise<void> {
		const changed = this.#db.tx(() =>
			this.#db.run(
				"DELETE FROM group_policies WHERE account_id = ? AND group_name = ? AND policy_name = ?",
				accountId,
				groupName,
				policyName,
			),
		);
		if (changed === 0)
			throw new StoreError(
				"STORE_NOT_FOUND",
				`group ${groupName} has no inline policy ${policyName}`,
			);
	}

	async policiesForUser(
		accountId: string,
		userName: string,
	): Promise<GroupPolicy[]> {
		return this.#db
			.do(() =>
				this.#db.all<GroupPolicyRow>(
					`SELECT p.* FROM group_members m JOIN group_policies p ON p.account_id = m.account_id AND p.group_name = m.group_name
					 WHERE m.account_id = ? AND m.user_name = ? ORDER BY p.group_name, p.policy_name`,
					accountId,
					userName,
				),
			)
			.map(toGroupPolicy);
	}
}
