/**
 * The operator's IAM policy for stackvault's own AWS calls outside the bucket's objects: the stack lifecycle
 * (`stack deploy` / `stack destroy`), finding the host and its orphan volumes, runs through SSM (`--host
 * ssm://…`), `bucket init`, notifications, metrics and the dashboard. Kept apart from the data policy (iam-policy.ts), which the instance role needs.
 *
 * CloudFormation creates a template's own resources (instance, role, security group) with the caller's
 * credentials unless the stack has a service role: those permissions depend on the template and are not here.
 */

/** What the lifecycle policy is narrowed to. */
export interface LifecyclePolicyInput {
  bucket: string;
  /** Narrows the CloudFormation and volume permissions to this stack. */
  stack?: string;
  /** Adds sns:Publish on this topic. */
  snsTopic?: string;
  /** Narrows cloudwatch:PutMetricData to this namespace. */
  metricsNamespace?: string;
}

/** The policy document: no wildcard action, resources narrowed wherever the service allows it. */
export function lifecyclePolicy(input: LifecyclePolicyInput): Record<string, unknown> {
  const stackArn = `arn:aws:cloudformation:*:*:stack/${input.stack ?? "*"}/*`;
  const statements: Record<string, unknown>[] = [
    {
      Sid: "StackLifecycle",
      Effect: "Allow",
      Action: ["cloudformation:CreateStack", "cloudformation:UpdateStack", "cloudformation:DeleteStack", "cloudformation:DescribeStacks", "cloudformation:DescribeStackEvents", "cloudformation:DescribeStackResources"],
      Resource: stackArn,
    },
    // GetTemplateSummary on a template body and the EC2 Describe calls take no resource-level permission.
    { Sid: "ReadTemplatesAndHosts", Effect: "Allow", Action: ["cloudformation:GetTemplateSummary", "ec2:DescribeInstances", "ec2:DescribeVolumes"], Resource: "*" },
    {
      Sid: "DeleteOrphanVolumes",
      Effect: "Allow",
      Action: ["ec2:DeleteVolume"],
      Resource: "arn:aws:ec2:*:*:volume/*",
      Condition: input.stack === undefined ? { Null: { "aws:ResourceTag/aws:cloudformation:stack-name": "false" } } : { StringEquals: { "aws:ResourceTag/aws:cloudformation:stack-name": input.stack } },
    },
    { Sid: "RunScriptDocument", Effect: "Allow", Action: ["ssm:SendCommand"], Resource: "arn:aws:ssm:*::document/AWS-RunShellScript" },
    {
      Sid: "RunOnStackInstances",
      Effect: "Allow",
      Action: ["ssm:SendCommand"],
      Resource: "arn:aws:ec2:*:*:instance/*",
      ...(input.stack === undefined ? {} : { Condition: { StringEquals: { "ssm:resourceTag/aws:cloudformation:stack-name": input.stack } } }),
    },
    // Invocations are addressed by command id, which takes no resource-level permission.
    { Sid: "FollowCommands", Effect: "Allow", Action: ["ssm:GetCommandInvocation", "ssm:CancelCommand"], Resource: "*" },
    {
      Sid: "BucketSetup",
      Effect: "Allow",
      Action: [
        "s3:CreateBucket", "s3:GetBucketLocation",
        "s3:GetBucketVersioning", "s3:PutBucketVersioning",
        "s3:GetEncryptionConfiguration", "s3:PutEncryptionConfiguration",
        "s3:GetBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock",
        "s3:GetBucketPolicy", "s3:PutBucketPolicy",
        "s3:GetLifecycleConfiguration", "s3:PutLifecycleConfiguration",
      ],
      Resource: `arn:aws:s3:::${input.bucket}`,
    },
    { Sid: "Dashboard", Effect: "Allow", Action: ["cloudwatch:PutDashboard"], Resource: "arn:aws:cloudwatch::*:dashboard/*" },
    { Sid: "BackupAgeAlarm", Effect: "Allow", Action: ["cloudwatch:PutMetricAlarm"], Resource: "arn:aws:cloudwatch:*:*:alarm:*" },
    {
      Sid: "RunMetrics",
      Effect: "Allow",
      Action: ["cloudwatch:PutMetricData"],
      Resource: "*",
      ...(input.metricsNamespace === undefined ? {} : { Condition: { StringEquals: { "cloudwatch:namespace": input.metricsNamespace } } }),
    },
  ];
  if (input.snsTopic !== undefined) statements.push({ Sid: "RunNotifications", Effect: "Allow", Action: ["sns:Publish"], Resource: input.snsTopic });
  return { Version: "2012-10-17", Statement: statements };
}
