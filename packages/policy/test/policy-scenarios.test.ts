// The documented decision rules as named scenarios (IAM User Guide, "Policy evaluation logic";
// Lambda Developer Guide, "Control access to function URLs").
import assert from "node:assert/strict";
import { test } from "node:test";
import { type AuthorizationRequest, evaluate, explain } from "../src/index.ts";
import {
	A,
	alice,
	allowUrl,
	anonymous,
	B,
	bob,
	compile,
	denyUrl,
	FN,
	session,
	URL_ACTION,
} from "./helpers.ts";

const req = (over: Partial<AuthorizationRequest>): AuthorizationRequest => ({
	principal: alice,
	action: URL_ACTION,
	resource: FN,
	resourceAccountId: A,
	...over,
});

const cases: {
	name: string;
	request: AuthorizationRequest;
	decision: string;
	reason: string;
}[] = [
	{
		name: "same account, identity allow only",
		request: req({ identityPolicies: [compile("identity", [allowUrl()])] }),
		decision: "Allow",
		reason: "ALLOW_IDENTITY",
	},
	{
		name: "same account, nothing allows",
		request: req({}),
		decision: "ImplicitDeny",
		reason: "NO_IDENTITY_ALLOW",
	},
	{
		name: "same account, resource policy naming the user allows alone",
		request: req({
			resourcePolicy: compile("resource", [
				allowUrl({ Principal: { AWS: alice.arn } }),
			]),
		}),
		decision: "Allow",
		reason: "ALLOW_RESOURCE",
	},
	{
		name: "same account, resource policy naming only the account delegates: no identity allow → deny",
		request: req({
			resourcePolicy: compile("resource", [
				allowUrl({ Principal: { AWS: A } }),
			]),
		}),
		decision: "ImplicitDeny",
		reason: "NO_IDENTITY_ALLOW",
	},
	{
		name: "same account, account delegation plus identity allow",
		request: req({
			identityPolicies: [compile("identity", [allowUrl()])],
			resourcePolicy: compile("resource", [
				allowUrl({ Principal: { AWS: `arn:aws:iam::${A}:root` } }),
			]),
		}),
		decision: "Allow",
		reason: "ALLOW_IDENTITY",
	},
	{
		name: "cross account, identity allow only",
		request: req({
			principal: bob,
			identityPolicies: [compile("identity", [allowUrl()])],
		}),
		decision: "ImplicitDeny",
		reason: "NO_RESOURCE_ALLOW_CROSS_ACCOUNT",
	},
	{
		name: "cross account, resource allow only",
		request: req({
			principal: bob,
			resourcePolicy: compile("resource", [
				allowUrl({ Principal: { AWS: bob.arn } }),
			]),
		}),
		decision: "ImplicitDeny",
		reason: "NO_IDENTITY_ALLOW",
	},
	{
		name: "cross account, both allow (resource names the account)",
		request: req({
			principal: bob,
			identityPolicies: [compile("identity", [allowUrl()])],
			resourcePolicy: compile("resource", [
				allowUrl({ Principal: { AWS: B } }),
			]),
		}),
		decision: "Allow",
		reason: "ALLOW_IDENTITY_AND_RESOURCE",
	},
	{
		name: "explicit deny in identity policy beats resource allow",
		request: req({
			identityPolicies: [compile("identity", [denyUrl()])],
			resourcePolicy: compile("resource", [allowUrl({ Principal: "*" })]),
		}),
		decision: "ExplicitDeny",
		reason: "EXPLICIT_DENY_IDENTITY",
	},
	{
		name: "explicit deny in resource policy beats identity allow",
		request: req({
			identityPolicies: [compile("identity", [allowUrl()])],
			resourcePolicy: compile("resource", [
				denyUrl({ Principal: { AWS: alice.arn } }),
			]),
		}),
		decision: "ExplicitDeny",
		reason: "EXPLICIT_DENY_RESOURCE",
	},
	{
		name: "explicit deny in session policy",
		request: req({
			principal: session,
			identityPolicies: [compile("identity", [allowUrl()])],
			sessionPolicies: [compile("identity", [denyUrl()])],
		}),
		decision: "ExplicitDeny",
		reason: "EXPLICIT_DENY_SESSION",
	},
	{
		name: "session policy intersects: identity allows, session policy does not",
		request: req({
			principal: session,
			identityPolicies: [compile("identity", [allowUrl()])],
			sessionPolicies: [
				compile("identity", [
					{ Effect: "Allow", Action: "s3:*", Resource: "*" },
				]),
			],
		}),
		decision: "ImplicitDeny",
		reason: "NO_SESSION_ALLOW",
	},
	{
		name: "resource policy naming the session ARN is not limited by the session policy",
		request: req({
			principal: session,
			sessionPolicies: [
				compile("identity", [
					{ Effect: "Allow", Action: "s3:*", Resource: "*" },
				]),
			],
			resourcePolicy: compile("resource", [
				allowUrl({ Principal: { AWS: session.arn } }),
			]),
		}),
		decision: "Allow",
		reason: "ALLOW_RESOURCE",
	},
	{
		name: "resource policy naming the role ARN is limited by the session policy",
		request: req({
			principal: session,
			sessionPolicies: [
				compile("identity", [
					{ Effect: "Allow", Action: "s3:*", Resource: "*" },
				]),
			],
			resourcePolicy: compile("resource", [
				allowUrl({ Principal: { AWS: session.roleArn } }),
			]),
		}),
		decision: "ImplicitDeny",
		reason: "NO_IDENTITY_ALLOW",
	},
	{
		name: "permissions boundary does not limit a resource grant to the user ARN",
		request: req({
			permissionsBoundary: compile("identity", [
				{ Effect: "Allow", Action: "s3:*", Resource: "*" },
			]),
			resourcePolicy: compile("resource", [
				allowUrl({ Principal: { AWS: alice.arn } }),
			]),
		}),
		decision: "Allow",
		reason: "ALLOW_RESOURCE",
	},
	{
		name: "condition on source IP: inside the block",
		request: req({
			identityPolicies: [
				compile("identity", [
					allowUrl({
						Condition: {
							IpAddress: {
								"aws:SourceIp": ["203.0.113.0/24", "2001:db8::/32"],
							},
						},
					}),
				]),
			],
			context: { "aws:SourceIp": "2001:db8::7" },
		}),
		decision: "Allow",
		reason: "ALLOW_IDENTITY",
	},
	{
		name: "condition on source IP: outside the block",
		request: req({
			identityPolicies: [
				compile("identity", [
					allowUrl({
						Condition: { IpAddress: { "aws:SourceIp": "203.0.113.0/24" } },
					}),
				]),
			],
			context: { "aws:SourceIp": "198.51.100.1" },
		}),
		decision: "ImplicitDeny",
		reason: "NO_IDENTITY_ALLOW",
	},
	{
		name: "public function URL statement (FunctionUrlAuthType NONE) admits anonymous callers",
		request: req({
			principal: anonymous,
			resourcePolicy: compile("resource", [
				allowUrl({
					Principal: "*",
					Condition: { StringEquals: { "lambda:FunctionUrlAuthType": "NONE" } },
				}),
			]),
			context: { "lambda:FunctionUrlAuthType": "NONE" },
		}),
		decision: "Allow",
		reason: "ALLOW_RESOURCE",
	},
	{
		name: "auth-type condition mismatch denies the anonymous caller",
		request: req({
			principal: anonymous,
			resourcePolicy: compile("resource", [
				allowUrl({
					Principal: "*",
					Condition: { StringEquals: { "lambda:FunctionUrlAuthType": "NONE" } },
				}),
			]),
			context: { "lambda:FunctionUrlAuthType": "AWS_IAM" },
		}),
		decision: "ImplicitDeny",
		reason: "NO_RESOURCE_ALLOW",
	},
	{
		name: "anonymous caller is not admitted by an account principal",
		request: req({
			principal: anonymous,
			resourcePolicy: compile("resource", [
				allowUrl({ Principal: { AWS: A } }),
			]),
			identityPolicies: [compile("identity", [allowUrl()])],
		}),
		decision: "ImplicitDeny",
		reason: "NO_RESOURCE_ALLOW",
	},
	{
		name: "anonymous caller admitted by {AWS: *}",
		request: req({
			principal: anonymous,
			resourcePolicy: compile("resource", [
				allowUrl({ Principal: { AWS: "*" } }),
			]),
		}),
		decision: "Allow",
		reason: "ALLOW_RESOURCE",
	},
	{
		name: "NotPrincipal with Deny denies everyone not fully listed",
		request: req({
			identityPolicies: [compile("identity", [allowUrl()])],
			resourcePolicy: compile("resource", [
				denyUrl({ NotPrincipal: { AWS: alice.arn } }),
			]),
		}),
		decision: "ExplicitDeny",
		reason: "EXPLICIT_DENY_RESOURCE",
	},
	{
		name: "NotPrincipal with Deny excludes a caller listed with its account",
		request: req({
			identityPolicies: [compile("identity", [allowUrl()])],
			resourcePolicy: compile("resource", [
				denyUrl({ NotPrincipal: { AWS: [alice.arn, A] } }),
			]),
		}),
		decision: "Allow",
		reason: "ALLOW_IDENTITY",
	},
	{
		name: "NotPrincipal excludes a session only with session, role and account listed",
		request: req({
			principal: session,
			identityPolicies: [compile("identity", [allowUrl()])],
			resourcePolicy: compile("resource", [
				denyUrl({ NotPrincipal: { AWS: [session.arn, session.roleArn, A] } }),
			]),
		}),
		decision: "Allow",
		reason: "ALLOW_IDENTITY",
	},
	{
		name: "NotPrincipal Deny applies to anonymous callers",
		request: req({
			principal: anonymous,
			resourcePolicy: compile("resource", [
				allowUrl({ Principal: "*" }),
				denyUrl({ NotPrincipal: { AWS: A } }),
			]),
		}),
		decision: "ExplicitDeny",
		reason: "EXPLICIT_DENY_RESOURCE",
	},
	{
		name: "trust policy: an identity allow alone cannot assume a role",
		request: req({
			action: "sts:AssumeRole",
			resource: session.roleArn as string,
			identityPolicies: [
				compile("identity", [
					{ Effect: "Allow", Action: "sts:AssumeRole", Resource: "*" },
				]),
			],
			resourcePolicy: compile("trust", [
				{
					Effect: "Allow",
					Principal: { AWS: bob.arn },
					Action: "sts:AssumeRole",
				},
			]),
		}),
		decision: "ImplicitDeny",
		reason: "NO_RESOURCE_ALLOW",
	},
	{
		name: "trust policy naming the account plus an identity allow assumes the role",
		request: req({
			action: "sts:AssumeRole",
			resource: session.roleArn as string,
			identityPolicies: [
				compile("identity", [
					{ Effect: "Allow", Action: "sts:AssumeRole", Resource: "*" },
				]),
			],
			resourcePolicy: compile("trust", [
				{ Effect: "Allow", Principal: { AWS: A }, Action: "sts:AssumeRole" },
			]),
		}),
		decision: "Allow",
		reason: "ALLOW_IDENTITY",
	},
	{
		name: "a service principal is admitted only by a statement naming the service",
		request: req({
			principal: {
				type: "Service",
				arn: "events.amazonaws.com",
				accountId: "",
			},
			action: "lambda:InvokeFunction",
			resourcePolicy: compile("resource", [
				{
					Effect: "Allow",
					Principal: { Service: "events.amazonaws.com" },
					Action: "lambda:InvokeFunction",
					Resource: FN,
					Condition: {
						ArnLike: {
							"aws:SourceArn": `arn:aws:events:us-east-1:${A}:rule/*`,
						},
					},
				},
			]),
			context: {
				"aws:SourceArn": `arn:aws:events:us-east-1:${A}:rule/nightly`,
			},
		}),
		decision: "Allow",
		reason: "ALLOW_RESOURCE",
	},
	{
		name: "a service principal is not admitted by an account principal",
		request: req({
			principal: {
				type: "Service",
				arn: "events.amazonaws.com",
				accountId: "",
			},
			action: "lambda:InvokeFunction",
			resourcePolicy: compile("resource", [
				{
					Effect: "Allow",
					Principal: { AWS: A },
					Action: "lambda:InvokeFunction",
					Resource: FN,
				},
			]),
		}),
		decision: "ImplicitDeny",
		reason: "NO_RESOURCE_ALLOW",
	},
	{
		name: "root user of the account needs no identity policy",
		request: req({
			principal: {
				type: "Account",
				arn: `arn:aws:iam::${A}:root`,
				accountId: A,
			},
		}),
		decision: "Allow",
		reason: "ALLOW_ROOT",
	},
	{
		name: "a context value cannot impersonate: aws:PrincipalArn comes from the principal",
		request: req({
			identityPolicies: [
				compile("identity", [
					allowUrl({
						Condition: { StringEquals: { "aws:PrincipalArn": bob.arn } },
					}),
				]),
			],
			context: { "aws:PrincipalArn": bob.arn },
		}),
		decision: "ImplicitDeny",
		reason: "NO_IDENTITY_ALLOW",
	},
];

for (const c of cases) {
	test(c.name, () => {
		const d = evaluate(c.request);
		assert.equal(d.decision, c.decision, explain(d, c.request));
		assert.equal(d.reason, c.reason, explain(d, c.request));
		assert.equal(d.allowed, c.decision === "Allow");
		if (c.decision === "ExplicitDeny")
			assert.equal(d.decidedBy?.effect, "Deny");
	});
}
