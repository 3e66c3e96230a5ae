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
import { invoke, invokeAsyncLegacy, SYNC_PAYLOAD_BYTES } from "./lambda-api.ts";
import type { Route } from "./router.ts";
import { invokeTrigger } from "./trigger.ts";

const MB = 1024 * 1024;

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
];
