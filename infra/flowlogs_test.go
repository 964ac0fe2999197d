package infra

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The flow logs' role holds what AWS documents for delivery to CloudWatch Logs (VPC User
// Guide, "IAM role for publishing flow logs to CloudWatch Logs"), scoped as far as each
// action allows, and trusts VPC Flow Logs only for this account's flow logs.
func TestFlowLogsRoleIsWhatAWSDocuments(t *testing.T) {
	r := runOK(t, "blue", blueConfig(), nil)
	var role, policy registered
	for _, res := range r.mocks.awsResources() {
		switch {
		case res.Type == "aws:iam/role:Role" && res.Name == "network-flow-logs":
			role = res
		case res.Type == "aws:iam/rolePolicy:RolePolicy" && res.Name == "network-flow-logs":
			policy = res
		}
	}
	require.NotEmpty(t, role.Name)
	require.NotEmpty(t, policy.Name)

	group := "arn:aws:logs:eu-west-1:000000000000:log-group:network-flow-logs"
	assert.JSONEq(t, `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["logs:CreateLogGroup","logs:CreateLogStream","logs:PutLogEvents","logs:DescribeLogStreams"],
		 "Resource":["`+group+`","`+group+`:*"]},
		{"Effect":"Allow","Action":["logs:DescribeLogGroups"],"Resource":["arn:aws:logs:eu-west-1:000000000000:log-group:*"]}]}`,
		prop(policy.Inputs, "policy").(string))

	var trust struct {
		Statement []struct {
			Principal map[string]string
			Condition map[string]map[string]string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(prop(role.Inputs, "assumeRolePolicy").(string)), &trust))
	require.Len(t, trust.Statement, 1)
	assert.Equal(t, "vpc-flow-logs.amazonaws.com", trust.Statement[0].Principal["Service"])
	assert.Equal(t, map[string]map[string]string{
		"StringEquals": {"aws:SourceAccount": "000000000000"},
		"ArnLike":      {"aws:SourceArn": "arn:aws:ec2:eu-west-1:000000000000:vpc-flow-log/*"},
	}, trust.Statement[0].Condition)
}

func TestFlowLogsPolicyDocumentsNeedARNs(t *testing.T) {
	_, err := FlowLogsTrustPolicy("vpc-0123")
	assert.ErrorContains(t, err, "is not a VPC ARN")
	_, err = FlowLogsPolicy("network-flow-logs")
	assert.ErrorContains(t, err, "is not a log group ARN")
	doc, err := FlowLogsTrustPolicy("arn:aws-cn:ec2:cn-north-1:111122223333:vpc/vpc-0123")
	require.NoError(t, err)
	assert.Contains(t, doc, `"arn:aws-cn:ec2:cn-north-1:111122223333:vpc-flow-log/*"`, "the VPC's partition")
}
