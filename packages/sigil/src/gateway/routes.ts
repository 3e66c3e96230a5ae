/**
 * Every route of the gateway in one table, each with how its callers authenticate and the IAM
 * action it performs. The pipeline reads this table; a handler cannot be reached any other way,
 * so a new route cannot skip authentication by accident (the lesson of OpenFaaS's gateway, where
 * auth was added by hand per handler).
 */
import type { DeployedFunction } from "../functions/registry.ts";
import { getJob, invokeAsyncFunction, listJobs } from "./async-api.ts";
import type { GatewayContext } from "./context.ts";
import * as cp from "./control-plane.ts";
import * as url from "./function-url-config.ts";
import * as iamCp from "./iam-control-plane.ts";
import { invoke, invokeAsyncLegacy, SYNC_PAYLOAD_BYTES } from "./lambda-api.ts";
import * as perm from "./lambda-permissions.ts";
import { queryApi } from "./query-api.ts";
import type { Route } from "./router.ts";
import { invokeTrigger } from "./trigger.ts";

const MB = 1024 * 1024;

const userPolicies = iamCp.policyRoutes("user");
const rolePolicies = iamCp.policyRoutes("role");

/** A Lambda REST API route (service `lambda`, errors as Lambda words them). */
function lambda(
	name: string,
	method: string,
	pattern: string,
	action: string,
	handle: Route<GatewayContext, DeployedFunction>["handle"],
): Route<GatewayContext, DeployedFunction> {
	return {
		name,
		method,
		pattern,
		auth: "sigv4",
		services: ["lambda"],
		dialect: "aws-lambda",
		action,
		handle,
	};
}

/** A control-plane route (SigV4, service `sigil`). */
function sigil(
	name: string,
	method: string,
	pattern: string,
	action: string,
	handle: Route<GatewayContext, DeployedFunction>["handle"],
): Route<GatewayContext, DeployedFunction> {
	return { name, method, pattern, auth: "sigv4", action, handle };
}

export const ROUTES: readonly Route<GatewayContext, DeployedFunction>[] = [
	{
		name: "info",
		method: "GET",
		pattern: "/sigil/v1/info",
		auth: "none",
		action: "sigil:GetInfo",
		handle: cp.info,
	},
	{
		name: "whoami",
		method: "GET",
		pattern: "/sigil/v1/whoami",
		auth: "sigv4",
		action: "sts:GetCallerIdentity",
		handle: cp.whoami,
	},
	{
		name: "functions-list",
		method: "GET",
		pattern: "/sigil/v1/functions",
		auth: "sigv4",
		action: "lambda:ListFunctions",
		handle: cp.listFunctions,
	},
	{
		name: "function-get",
		method: "GET",
		pattern: "/sigil/v1/functions/:name",
		auth: "sigv4",
		action: "lambda:GetFunction",
		handle: cp.getFunction,
	},
	// Base64 of a 50 MB bundle plus JSON framing.
	{
		name: "function-put",
		method: "PUT",
		pattern: "/sigil/v1/functions/:name",
		auth: "sigv4",
		action: "lambda:UpdateFunctionCode",
		maxBodyBytes: 70 * MB,
		handle: cp.putFunction,
	},
	{
		name: "function-delete",
		method: "DELETE",
		pattern: "/sigil/v1/functions/:name",
		auth: "sigv4",
		action: "lambda:DeleteFunction",
		handle: cp.deleteFunction,
	},
	{
		name: "keys-list",
		method: "GET",
		pattern: "/sigil/v1/keys",
		auth: "sigv4",
		action: "iam:ListAccessKeys",
		handle: cp.listKeys,
	},
	{
		name: "key-create",
		method: "POST",
		pattern: "/sigil/v1/keys",
		auth: "sigv4",
		action: "iam:CreateAccessKey",
		handle: cp.createKey,
	},
	{
		name: "key-disable",
		method: "POST",
		pattern: "/sigil/v1/keys/:id/disable",
		auth: "sigv4",
		action: "iam:UpdateAccessKey",
		handle: cp.disableKey,
	},
	{
		name: "key-enable",
		method: "POST",
		pattern: "/sigil/v1/keys/:id/enable",
		auth: "sigv4",
		action: "iam:UpdateAccessKey",
		handle: cp.enableKey,
	},
	{
		name: "key-delete",
		method: "DELETE",
		pattern: "/sigil/v1/keys/:id",
		auth: "sigv4",
		action: "iam:DeleteAccessKey",
		handle: cp.deleteKey,
	},
	{
		name: "secrets-list",
		method: "GET",
		pattern: "/sigil/v1/secrets",
		auth: "sigv4",
		action: "sigil:ListSecrets",
		handle: cp.listSecrets,
	},
	{
		name: "secret-put",
		method: "PUT",
		pattern: "/sigil/v1/secrets/:name",
		auth: "sigv4",
		action: "sigil:PutSecret",
		maxBodyBytes: 2 * MB,
		handle: cp.putSecret,
	},
	{
		name: "secret-delete",
		method: "DELETE",
		pattern: "/sigil/v1/secrets/:name",
		auth: "sigv4",
		action: "sigil:DeleteSecret",
		handle: cp.deleteSecret,
	},
	{
		name: "logs",
		method: "GET",
		pattern: "/sigil/v1/logs",
		auth: "sigv4",
		action: "logs:GetLogEvents",
		handle: cp.queryLogs,
	},
	{
		name: "trigger",
		method: "*",
		pattern: "/function/:name/*",
		auth: "trigger",
		action: "lambda:InvokeFunctionUrl",
		handle: invokeTrigger,
	},
	// Lambda Invoke API (AWS CLI/SDKs, service `lambda`); errors as the Lambda service words them.
	{
		name: "lambda-invoke",
		method: "POST",
		pattern: "/2015-03-31/functions/:name/invocations",
		auth: "sigv4",
		services: ["lambda"],
		dialect: "aws-lambda",
		action: "lambda:InvokeFunction",
		maxBodyBytes: SYNC_PAYLOAD_BYTES,
		handle: invoke,
	},
	{
		name: "lambda-invoke-async",
		method: "POST",
		pattern: "/2014-11-13/functions/:name/invoke-async/*",
		auth: "sigv4",
		services: ["lambda"],
		dialect: "aws-lambda",
		action: "lambda:InvokeFunction",
		maxBodyBytes: SYNC_PAYLOAD_BYTES,
		handle: invokeAsyncLegacy,
	},
	// OpenFaaS async: the function's own trigger auth, as on /function/NAME.
	{
		name: "async-function",
		method: "POST",
		pattern: "/async-function/:name/*",
		auth: "trigger",
		action: "lambda:InvokeFunction",
		handle: invokeAsyncFunction,
	},
	{
		name: "jobs-list",
		method: "GET",
		pattern: "/sigil/v1/jobs",
		auth: "sigv4",
		action: "sigil:ListJobs",
		handle: listJobs,
	},
	{
		name: "job-get",
		method: "GET",
		pattern: "/sigil/v1/jobs/:id",
		auth: "sigv4",
		action: "sigil:GetJob",
		handle: getJob,
	},
	// IAM and STS over the query protocol: the AWS CLI POSTs forms to `/`; the signed service
	// (iam or sts) says which API, and the handler authorizes each Action itself.
	{
		name: "aws-query",
		method: "POST",
		pattern: "/",
		auth: "sigv4",
		services: ["iam", "sts"],
		dialect: "aws",
		action: "iam:* | sts:*",
		handle: queryApi,
	},
	// Lambda function policies and URL configs, as `aws lambda …` calls them.
	lambda(
		"lambda-add-permission",
		"POST",
		"/2015-03-31/functions/:name/policy",
		"lambda:AddPermission",
		perm.addPermission,
	),
	lambda(
		"lambda-get-policy",
		"GET",
		"/2015-03-31/functions/:name/policy",
		"lambda:GetPolicy",
		perm.getPolicy,
	),
	lambda(
		"lambda-remove-permission",
		"DELETE",
		"/2015-03-31/functions/:name/policy/:sid",
		"lambda:RemovePermission",
		perm.removePermission,
	),
	lambda(
		"lambda-create-url",
		"POST",
		"/2021-10-31/functions/:name/url",
		"lambda:CreateFunctionUrlConfig",
		url.createUrlConfig,
	),
	lambda(
		"lambda-get-url",
		"GET",
		"/2021-10-31/functions/:name/url",
		"lambda:GetFunctionUrlConfig",
		url.getUrlConfig,
	),
	lambda(
		"lambda-update-url",
		"PUT",
		"/2021-10-31/functions/:name/url",
		"lambda:UpdateFunctionUrlConfig",
		url.updateUrlConfig,
	),
	lambda(
		"lambda-delete-url",
		"DELETE",
		"/2021-10-31/functions/:name/url",
		"lambda:DeleteFunctionUrlConfig",
		url.deleteUrlConfig,
	),
	// Sigil's own identity-and-access API (sigil account|user|role|policy|permission …).
	sigil(
		"accounts-list",
		"GET",
		"/sigil/v1/accounts",
		"sigil:ListAccounts",
		iamCp.listAccounts,
	),
	sigil(
		"account-create",
		"POST",
		"/sigil/v1/accounts",
		"sigil:CreateAccount",
		iamCp.createAccount,
	),
	sigil(
		"users-list",
		"GET",
		"/sigil/v1/users",
		"iam:ListUsers",
		iamCp.listUsers,
	),
	sigil(
		"user-create",
		"POST",
		"/sigil/v1/users",
		"iam:CreateUser",
		iamCp.createUser,
	),
	sigil(
		"user-delete",
		"DELETE",
		"/sigil/v1/users/:name",
		"iam:DeleteUser",
		iamCp.deleteUser,
	),
	sigil(
		"user-key-create",
		"POST",
		"/sigil/v1/users/:name/keys",
		"iam:CreateAccessKey",
		iamCp.createUserKey,
	),
	sigil(
		"user-policies-list",
		"GET",
		"/sigil/v1/users/:name/policies",
		"iam:ListUserPolicies",
		userPolicies.list,
	),
	sigil(
		"user-policy-get",
		"GET",
		"/sigil/v1/users/:name/policies/:policy",
		"iam:GetUserPolicy",
		userPolicies.get,
	),
	sigil(
		"user-policy-put",
		"PUT",
		"/sigil/v1/users/:name/policies/:policy",
		"iam:PutUserPolicy",
		userPolicies.put,
	),
	sigil(
		"user-policy-delete",
		"DELETE",
		"/sigil/v1/users/:name/policies/:policy",
		"iam:DeleteUserPolicy",
		userPolicies.remove,
	),
	sigil(
		"roles-list",
		"GET",
		"/sigil/v1/roles",
		"iam:ListRoles",
		iamCp.listRoles,
	),
	sigil(
		"role-create",
		"POST",
		"/sigil/v1/roles",
		"iam:CreateRole",
		iamCp.createRole,
	),
	sigil(
		"role-policies-list",
		"GET",
		"/sigil/v1/roles/:name/policies",
		"iam:ListRolePolicies",
		rolePolicies.list,
	),
	sigil(
		"role-policy-get",
		"GET",
		"/sigil/v1/roles/:name/policies/:policy",
		"iam:GetRolePolicy",
		rolePolicies.get,
	),
	sigil(
		"role-policy-put",
		"PUT",
		"/sigil/v1/roles/:name/policies/:policy",
		"iam:PutRolePolicy",
		rolePolicies.put,
	),
	sigil(
		"role-policy-delete",
		"DELETE",
		"/sigil/v1/roles/:name/policies/:policy",
		"iam:DeleteRolePolicy",
		rolePolicies.remove,
	),
	sigil(
		"function-policy-get",
		"GET",
		"/sigil/v1/functions/:name/policy",
		"lambda:GetPolicy",
		perm.getPolicy,
	),
	sigil(
		"function-permission-add",
		"POST",
		"/sigil/v1/functions/:name/policy",
		"lambda:AddPermission",
		perm.addPermission,
	),
	sigil(
		"function-permission-remove",
		"DELETE",
		"/sigil/v1/functions/:name/policy/:sid",
		"lambda:RemovePermission",
		perm.removePermission,
	),
	sigil(
		"simulate",
		"POST",
		"/sigil/v1/simulate",
		"iam:SimulatePrincipalPolicy",
		iamCp.simulate,
	),
];
