/**
 * @sigil/policy — IAM-style policy documents: parse and validate once, evaluate fast with AWS's
 * semantics, explain. Pure: imports only node:crypto/node:buffer, no I/O, no clock.
 *
 * @example
 * const id = parsePolicy(userPolicyJson, "identity");
 * if (!id.ok) throw new Error(id.errors.map((e) => `${e.path}: ${e.message}`).join("\n"));
 * const decision = evaluate({ principal, action: "lambda:InvokeFunctionUrl", resource, resourceAccountId,
 *   identityPolicies: [{ name: "invoke", policy: id.policy }], context: { "aws:SourceIp": ip } });
 * if (!decision.allowed) reply(403, accessDeniedMessage(decision, request));
 */
export { principalContext } from "./context.ts";
export { evaluate } from "./evaluate.ts";
export { accessDeniedMessage, explain } from "./explain.ts";
export {
	addPermission,
	type LambdaPermissionInput,
	lambdaPermissionStatement,
	type PermissionResult,
	type PolicyDocument,
	removePermission,
} from "./lambda-permission.ts";
export {
	type CompileCache,
	createCompileCache,
	type ParseOptions,
	parsePolicy,
} from "./parse.ts";
export type {
	AuthorizationRequest,
	CompiledPolicy,
	CompiledStatement,
	ContextValue,
	Decision,
	DecisionReason,
	MatchedStatement,
	NamedPolicy,
	ParseResult,
	PolicyError,
	PolicyKind,
	PolicySource,
	PrincipalMatch,
	PrincipalType,
	RequestContext,
	RequestPrincipal,
} from "./types.ts";
