/** A policy document editor that checks as you type and points at the line and column. */
import { useMemo } from "preact/hooks";
import { checkPolicy, type PolicyKind } from "./lib/policy-check.ts";

export function PolicyEditor({
	label,
	value,
	kind,
	onInput,
}: {
	label: string;
	value: string;
	kind: PolicyKind;
	onInput(text: string): void;
}) {
	const check = useMemo(() => checkPolicy(value, kind), [value, kind]);
	const id = `policy-${label.replace(/\W+/g, "-").toLowerCase()}`;
	return (
		<div class="policy-editor">
			<label class="field" for={id}>
				<span class="label">{label}</span>
			</label>
			<textarea
				id={id}
				rows={12}
				class="mono"
				spellcheck={false}
				value={value}
				aria-invalid={!check.ok}
				aria-describedby={`${id}-check`}
				onInput={(e) => onInput(e.currentTarget.value)}
			/>
			<p
				id={`${id}-check`}
				class={check.ok ? "check ok" : "check bad"}
				role="status"
			>
				{check.ok
					? "Valid policy document."
					: `Line ${check.problem.line}, column ${check.problem.column}: ${check.problem.message}`}
			</p>
		</div>
	);
}

export function policyIsValid(text: string, kind: PolicyKind): boolean {
	return checkPolicy(text, kind).ok;
}
