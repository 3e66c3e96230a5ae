/**
 * Pieces shared by the access page's per-kind sections: the delete button that runs through the
 * section's action, and the selectable list of users or roles.
 */
import { PolicyEditor, policyIsValid } from "../policy-editor.tsx";
import { Field, type useAction } from "../ui.tsx";

type Action = ReturnType<typeof useAction>;

/** A small danger "Delete" button that runs `onDelete` through the section's action. */
export function DeleteButton({
	action,
	onDelete,
}: {
	action: Action;
	onDelete(): Promise<void>;
}) {
	return (
		<button
			type="button"
			class="small danger"
			disabled={action.busy}
			onClick={() => action.run(onDelete)}
		>
			Delete
		</button>
	);
}

/** Users or roles: each name selects it, with its ARN and a delete button. */
export function SelectableList({
	items,
	empty,
	selected,
	onSelect,
	action,
	onDelete,
	reload,
}: {
	items: { name: string; arn: string }[];
	empty: string;
	selected: string;
	onSelect(name: string): void;
	action: Action;
	onDelete(name: string): Promise<void>;
	reload(): void;
}) {
	if (items.length === 0) return <p class="muted">{empty}</p>;
	return (
		<ul class="plain-list">
			{items.map((it) => (
				<li key={it.name} class={it.name === selected ? "selected" : ""}>
					<button type="button" class="link" onClick={() => onSelect(it.name)}>
						{it.name}
					</button>
					<span class="mono muted">{it.arn}</span>
					<DeleteButton
						action={action}
						onDelete={async () => {
							await onDelete(it.name);
							if (selected === it.name) onSelect("");
							reload();
						}}
					/>
				</li>
			))}
		</ul>
	);
}

/** A form with a name and a checked policy document: creates a role or a policy, or puts one. */
export function NamedPolicyForm({
	formLabel,
	nameLabel,
	name,
	setName,
	policyLabel,
	policy,
	setPolicy,
	kind,
	submitLabel,
	action,
	onSubmit,
}: {
	formLabel: string;
	nameLabel: string;
	name: string;
	setName(name: string): void;
	policyLabel: string;
	policy: string;
	setPolicy(policy: string): void;
	kind: "identity" | "trust";
	submitLabel: string;
	action: Action;
	onSubmit(): Promise<void>;
}) {
	return (
		<form
			aria-label={formLabel}
			onSubmit={(e) => {
				e.preventDefault();
				void action.run(onSubmit);
			}}
		>
			<Field label={nameLabel}>
				<input
					required
					value={name}
					onInput={(e) => setName(e.currentTarget.value)}
				/>
			</Field>
			<PolicyEditor
				label={policyLabel}
				value={policy}
				kind={kind}
				onInput={setPolicy}
			/>
			<button
				type="submit"
				disabled={action.busy || !policyIsValid(policy, kind)}
			>
				{submitLabel}
			</button>
		</form>
	);
}
