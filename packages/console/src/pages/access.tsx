/**
 * Keys, users, roles and policies of the signed-in account: create (a new secret is shown once),
 * disable, delete, and edit policy documents with the checking editor. The control plane
 * (/sigil/v1) for keys, users, roles and inline policies; the IAM query API for managed policies
 * and role deletion, which /sigil/v1 does not offer.
 */
import { useState } from "preact/hooks";
import {
	DeleteButton,
	NamedPolicyForm,
	SelectableList,
} from "../components/access-list.tsx";
import { xmlText } from "../lib/api.ts";
import {
	Failure,
	Field,
	formatTime,
	Section,
	Show,
	useAction,
	useApi,
	useLoad,
} from "../ui.tsx";

interface KeyMeta {
	AccessKeyId: string;
	Status: string;
	CreateDate: string;
	UserName?: string;
	LastUsedDate?: string;
}
interface NewKey extends KeyMeta {
	SecretAccessKey: string;
}
interface User {
	userName: string;
	arn: string;
	createdAt: string;
}
interface Role {
	roleName: string;
	arn: string;
	createdAt: string;
}
interface InlinePolicy {
	policyName: string;
	document: unknown;
	updatedAt: string;
}

const EXAMPLE_POLICY = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "lambda:InvokeFunction",
      "Resource": "*"
    }
  ]
}`;

function trustPolicy(account: string): string {
	return JSON.stringify(
		{
			Version: "2012-10-17",
			Statement: [
				{
					Effect: "Allow",
					Principal: { AWS: `arn:aws:iam::${account}:root` },
					Action: "sts:AssumeRole",
				},
			],
		},
		null,
		2,
	);
}

/** The one time a secret is shown: it is in this component's state only, until dismissed. */
function SecretOnce({ created, onDone }: { created: NewKey; onDone(): void }) {
	return (
		<div class="secret-once" role="alert">
			<p>
				<strong>New access key {created.AccessKeyId}.</strong> Copy the secret
				now: it is shown this once and never again.
			</p>
			<label class="field">
				<span class="label">Secret access key</span>
				<input readOnly value={created.SecretAccessKey} class="mono" />
			</label>
			<button type="button" onClick={onDone}>
				I have saved it
			</button>
		</div>
	);
}

function Keys({ user }: { user?: string }) {
	const api = useApi();
	const q = user ? `?user=${encodeURIComponent(user)}` : "";
	const loaded = useLoad(
		() => api.sigil<{ AccessKeyMetadata: KeyMeta[] }>("GET", `/keys${q}`),
		[user],
	);
	const action = useAction();
	const [created, setCreated] = useState<NewKey | null>(null);
	return (
		<Section
			title={user ? `Access keys of ${user}` : "Your access keys"}
			actions={
				<button
					type="button"
					disabled={action.busy}
					onClick={() =>
						action.run(async () => {
							const r = await api.sigil<{ AccessKey: NewKey }>(
								"POST",
								`/keys${q}`,
								{},
							);
							setCreated(r.AccessKey);
							loaded.reload();
						})
					}
				>
					Create access key
				</button>
			}
		>
			{created && (
				<SecretOnce created={created} onDone={() => setCreated(null)} />
			)}
			{action.error !== undefined && <Failure error={action.error} />}
			<Show loaded={loaded}>
				{({ AccessKeyMetadata: keys }) =>
					keys.length === 0 ? (
						<p class="muted">No access keys.</p>
					) : (
						<div class="table-wrap">
							<table>
								<thead>
									<tr>
										<th scope="col">Key id</th>
										<th scope="col">Status</th>
										<th scope="col">Created</th>
										<th scope="col">Last used</th>
										<th scope="col">
											<span class="sr-only">Actions</span>
										</th>
									</tr>
								</thead>
								<tbody>
									{keys.map((k) => (
										<tr key={k.AccessKeyId} data-key={k.AccessKeyId}>
											<td class="mono">{k.AccessKeyId}</td>
											<td>{k.Status}</td>
											<td>{formatTime(k.CreateDate)}</td>
											<td>{formatTime(k.LastUsedDate)}</td>
											<td class="row-actions">
												<button
													type="button"
													class="small"
													disabled={action.busy}
													onClick={() =>
														action.run(async () => {
															const verb =
																k.Status === "Active" ? "disable" : "enable";
															await api.sigil(
																"POST",
																`/keys/${encodeURIComponent(k.AccessKeyId)}/${verb}`,
															);
															loaded.reload();
														})
													}
												>
													{k.Status === "Active" ? "Disable" : "Enable"}
												</button>
												<DeleteButton
													action={action}
													onDelete={async () => {
														await api.sigil(
															"DELETE",
															`/keys/${encodeURIComponent(k.AccessKeyId)}`,
														);
														loaded.reload();
													}}
												/>
											</td>
										</tr>
									))}
								</tbody>
							</table>
						</div>
					)
				}
			</Show>
		</Section>
	);
}

function InlinePolicies({
	kind,
	name,
}: {
	kind: "user" | "role";
	name: string;
}) {
	const api = useApi();
	const base = `/${kind}s/${encodeURIComponent(name)}/policies`;
	const loaded = useLoad(
		() => api.sigil<{ policies: InlinePolicy[] }>("GET", base),
		[kind, name],
	);
	const action = useAction();
	const [policyName, setPolicyName] = useState("");
	const [doc, setDoc] = useState(EXAMPLE_POLICY);
	return (
		<Section title={`Inline policies of ${kind} ${name}`}>
			<Show loaded={loaded}>
				{({ policies }) =>
					policies.length === 0 ? (
						<p class="muted">No inline policies.</p>
					) : (
						<ul class="statements">
							{policies.map((p) => (
								<li key={p.policyName}>
									<div class="record-head">
										<strong>{p.policyName}</strong>
										<span>{formatTime(p.updatedAt)}</span>
										<button
											type="button"
											class="small"
											onClick={() => {
												setPolicyName(p.policyName);
												setDoc(JSON.stringify(p.document, null, 2));
											}}
										>
											Edit
										</button>
										<DeleteButton
											action={action}
											onDelete={async () => {
												await api.sigil(
													"DELETE",
													`${base}/${encodeURIComponent(p.policyName)}`,
												);
												loaded.reload();
											}}
										/>
									</div>
									<pre class="code">{JSON.stringify(p.document, null, 2)}</pre>
								</li>
							))}
						</ul>
					)
				}
			</Show>
			<NamedPolicyForm
				formLabel={`Put an inline policy on ${kind} ${name}`}
				nameLabel="Policy name"
				name={policyName}
				setName={setPolicyName}
				policyLabel="Policy document"
				policy={doc}
				setPolicy={setDoc}
				kind="identity"
				submitLabel="Save policy"
				action={action}
				onSubmit={async () => {
					await api.sigil("PUT", `${base}/${encodeURIComponent(policyName)}`, {
						document: JSON.parse(doc),
					});
					loaded.reload();
				}}
			/>
			{action.error !== undefined && <Failure error={action.error} />}
		</Section>
	);
}

function Users({
	selected,
	onSelect,
}: {
	selected: string;
	onSelect(name: string): void;
}) {
	const api = useApi();
	const loaded = useLoad(
		() => api.sigil<{ users: User[] }>("GET", "/users"),
		[],
	);
	const action = useAction();
	const [name, setName] = useState("");
	return (
		<Section title="Users">
			<Show loaded={loaded}>
				{({ users }) => (
					<SelectableList
						items={users.map((u) => ({ name: u.userName, arn: u.arn }))}
						empty="No users."
						selected={selected}
						onSelect={onSelect}
						action={action}
						onDelete={(userName) =>
							api.sigil("DELETE", `/users/${encodeURIComponent(userName)}`)
						}
						reload={loaded.reload}
					/>
				)}
			</Show>
			<form
				class="inline-form"
				aria-label="Create a user"
				onSubmit={(e) => {
					e.preventDefault();
					void action.run(async () => {
						await api.sigil("POST", "/users", { userName: name });
						setName("");
						loaded.reload();
					});
				}}
			>
				<Field label="New user name">
					<input
						required
						value={name}
						onInput={(e) => setName(e.currentTarget.value)}
					/>
				</Field>
				<button type="submit" disabled={action.busy}>
					Create user
				</button>
			</form>
			{action.error !== undefined && <Failure error={action.error} />}
		</Section>
	);
}

function Roles({
	selected,
	onSelect,
}: {
	selected: string;
	onSelect(name: string): void;
}) {
	const api = useApi();
	const loaded = useLoad(
		() => api.sigil<{ roles: Role[] }>("GET", "/roles"),
		[],
	);
	const action = useAction();
	const [name, setName] = useState("");
	const [trust, setTrust] = useState(() => trustPolicy(api.session.account));
	return (
		<Section title="Roles">
			<Show loaded={loaded}>
				{({ roles }) => (
					<SelectableList
						items={roles.map((r) => ({ name: r.roleName, arn: r.arn }))}
						empty="No roles."
						selected={selected}
						onSelect={onSelect}
						action={action}
						onDelete={async (roleName) => {
							await api.iam("DeleteRole", { RoleName: roleName });
						}}
						reload={loaded.reload}
					/>
				)}
			</Show>
			<NamedPolicyForm
				formLabel="Create a role"
				nameLabel="New role name"
				name={name}
				setName={setName}
				policyLabel="Trust policy"
				policy={trust}
				setPolicy={setTrust}
				kind="trust"
				submitLabel="Create role"
				action={action}
				onSubmit={async () => {
					await api.sigil("POST", "/roles", {
						roleName: name,
						trustPolicy: JSON.parse(trust),
					});
					setName("");
					loaded.reload();
				}}
			/>
			{action.error !== undefined && <Failure error={action.error} />}
		</Section>
	);
}

function ManagedPolicies() {
	const api = useApi();
	const loaded = useLoad(async () => {
		const doc = await api.iam("ListPolicies", { Scope: "Local" });
		return [...doc.getElementsByTagName("member")].map((m) => ({
			name: xmlText(m, "PolicyName"),
			arn: xmlText(m, "Arn"),
			attachments: xmlText(m, "AttachmentCount"),
			updated: xmlText(m, "UpdateDate"),
		}));
	}, []);
	const action = useAction();
	const [name, setName] = useState("");
	const [doc, setDoc] = useState(EXAMPLE_POLICY);
	return (
		<Section title="Managed policies">
			<Show loaded={loaded}>
				{(policies) =>
					policies.length === 0 ? (
						<p class="muted">No customer managed policies.</p>
					) : (
						<ul class="plain-list">
							{policies.map((p) => (
								<li key={p.arn}>
									<strong>{p.name}</strong>
									<span class="mono muted">{p.arn}</span>
									<span class="muted">{p.attachments} attached</span>
									<DeleteButton
										action={action}
										onDelete={async () => {
											await api.iam("DeletePolicy", { PolicyArn: p.arn });
											loaded.reload();
										}}
									/>
								</li>
							))}
						</ul>
					)
				}
			</Show>
			<NamedPolicyForm
				formLabel="Create a managed policy"
				nameLabel="Managed policy name"
				name={name}
				setName={setName}
				policyLabel="Managed policy document"
				policy={doc}
				setPolicy={setDoc}
				kind="identity"
				submitLabel="Create policy"
				action={action}
				onSubmit={async () => {
					await api.iam("CreatePolicy", {
						PolicyName: name,
						PolicyDocument: doc,
					});
					setName("");
					loaded.reload();
				}}
			/>
			{action.error !== undefined && <Failure error={action.error} />}
		</Section>
	);
}

export function AccessPage() {
	const [user, setUser] = useState("");
	const [role, setRole] = useState("");
	return (
		<div class="page">
			<Keys />
			<Users selected={user} onSelect={setUser} />
			{user && (
				<>
					<Keys user={user} />
					<InlinePolicies kind="user" name={user} />
				</>
			)}
			<Roles selected={role} onSelect={setRole} />
			{role && <InlinePolicies kind="role" name={role} />}
			<ManagedPolicies />
		</div>
	);
}
