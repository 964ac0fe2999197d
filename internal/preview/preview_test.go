package preview

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/stretchr/testify/assert"

	"github.com/webapi-platform/infra/infra"
)

func pre(op apitype.OpType, urn, typ string, keys, diffs []string, detailed map[string]apitype.PropertyDiff) events.EngineEvent {
	return events.EngineEvent{EngineEvent: apitype.EngineEvent{ResourcePreEvent: &apitype.ResourcePreEvent{Metadata: apitype.StepEventMetadata{
		Op: op, URN: urn, Type: typ, Keys: keys, Diffs: diffs, DetailedDiff: detailed,
	}}}}
}

func summary(changes map[apitype.OpType]int) events.EngineEvent {
	return events.EngineEvent{EngineEvent: apitype.EngineEvent{SummaryEvent: &apitype.SummaryEvent{ResourceChanges: changes, IsPreview: true}}}
}

const urnBase = "urn:pulumi:blue::webapi::"

// A recorded preview of a release: the launch template is replaced (new AMI forces it),
// an old rule is deleted, an alarm created, the listener's weights updated.
func recordedRelease() []events.EngineEvent {
	return []events.EngineEvent{
		pre(apitype.OpSame, urnBase+"pulumi:pulumi:Stack::webapi-blue", "pulumi:pulumi:Stack", nil, nil, nil),
		pre(apitype.OpUpdate, urnBase+infra.TypeEdge+"$aws:lb/listener:Listener::edge-http", "aws:lb/listener:Listener", nil, []string{"defaultActions"},
			map[string]apitype.PropertyDiff{"defaultActions[0].forward.targetGroups[1].weight": {Kind: apitype.DiffUpdate, InputDiff: true}}),
		pre(apitype.OpCreateReplacement, urnBase+infra.TypeFleet+"$aws:ec2/launchTemplate:LaunchTemplate::fleet-blue-lt", "aws:ec2/launchTemplate:LaunchTemplate",
			[]string{"imageId"}, []string{"imageId", "userData"}, map[string]apitype.PropertyDiff{"imageId": {Kind: apitype.DiffUpdateReplace}, "userData": {Kind: apitype.DiffUpdate}}),
		pre(apitype.OpReplace, urnBase+infra.TypeFleet+"$aws:ec2/launchTemplate:LaunchTemplate::fleet-blue-lt", "aws:ec2/launchTemplate:LaunchTemplate", []string{"imageId"}, nil, nil),
		pre(apitype.OpDeleteReplaced, urnBase+infra.TypeFleet+"$aws:ec2/launchTemplate:LaunchTemplate::fleet-blue-lt", "aws:ec2/launchTemplate:LaunchTemplate", nil, nil, nil),
		pre(apitype.OpDelete, urnBase+infra.TypeEdge+"$aws:lb/listenerRule:ListenerRule::edge-old", "aws:lb/listenerRule:ListenerRule", nil, nil, nil),
		pre(apitype.OpCreate, urnBase+infra.TypeMonitoring+"$aws:cloudwatch/metricAlarm:MetricAlarm::alarm-blue-5xx", "aws:cloudwatch/metricAlarm:MetricAlarm", nil, nil, nil),
		pre(apitype.OpSame, urnBase+infra.TypeNetwork+"$aws:ec2/vpc:Vpc::network-vpc", "aws:ec2/vpc:Vpc", nil, nil, nil),
		summary(map[apitype.OpType]int{apitype.OpUpdate: 1, apitype.OpReplace: 1, apitype.OpDelete: 1, apitype.OpCreate: 1, apitype.OpSame: 40}),
	}
}

func TestPreviewFoldsEventsIntoSteps(t *testing.T) {
	steps := Steps(recordedRelease())
	byName := map[string]Step{}
	for _, s := range steps {
		byName[s.Name()] = s
	}
	assert.Len(t, steps, 5, "one step per resource, the stack itself left out")
	assert.Equal(t, "replace", byName["fleet-blue-lt"].Op, "create-replacement/replace/delete-replaced fold into one replace")
	assert.Equal(t, []string{"imageId"}, byName["fleet-blue-lt"].Replaces, "the property that forces it")
	assert.Equal(t, []string{"imageId", "userData"}, byName["fleet-blue-lt"].Diffs)
	assert.Equal(t, "delete", byName["edge-old"].Op)
	assert.Equal(t, "update", byName["edge-http"].Op)
	assert.Equal(t, "same", byName["network-vpc"].Op)
}

func TestRenderMarkdown(t *testing.T) {
	before, after := infra.Weights{Blue: 100}, infra.Weights{Blue: 90, Green: 10}
	p := NewStack(infra.Blue, recordedRelease())
	p.Before, p.After = &before, &after
	md := RenderMarkdown([]Stack{p})
	assert.Contains(t, md, "<!-- webapi-preview -->", "a marker the PR workflow uses to edit its one comment")
	assert.Contains(t, md, "### Stack `blue`")
	assert.Contains(t, md, "**Traffic:** blue 100% → 90%, green 0% → 10%")
	assert.Contains(t, md, "| replace | 1 |\n| delete | 1 |\n| create | 1 |\n| update | 1 |\n| same | 40 |")
	replaceAt := strings.Index(md, "**replace** `fleet-blue-lt` (`aws:ec2/launchTemplate:LaunchTemplate`) — forced by `imageId`")
	deleteAt := strings.Index(md, "**delete** `edge-old`")
	updateAt := strings.Index(md, "- update `edge-http` (`aws:lb/listener:Listener`): `defaultActions`")
	createAt := strings.Index(md, "- create `alarm-blue-5xx`")
	assert.True(t, replaceAt > 0 && deleteAt > replaceAt && createAt > deleteAt && updateAt > deleteAt,
		"replaces, then deletes, before the other changes:\n%s", md)
	assert.NotContains(t, md, "network-vpc", "unchanged resources are counted, not listed")
}

func TestRenderMarkdownNoChanges(t *testing.T) {
	w := infra.Weights{Blue: 100}
	quiet := NewStack(infra.Blue, []events.EngineEvent{
		pre(apitype.OpSame, urnBase+infra.TypeNetwork+"$aws:ec2/vpc:Vpc::network-vpc", "aws:ec2/vpc:Vpc", nil, nil, nil),
		summary(map[apitype.OpType]int{apitype.OpSame: 41}),
	})
	quiet.Before, quiet.After = &w, &w
	green := NewStack(infra.Green, []events.EngineEvent{summary(map[apitype.OpType]int{apitype.OpSame: 9})})
	md := RenderMarkdown([]Stack{quiet, green})
	assert.Contains(t, md, "**Traffic:** unchanged (blue 100% / green 0%)")
	assert.Contains(t, md, "No changes: 41 resources unchanged.")
	assert.Contains(t, md, "### Stack `green`\n\nNo changes: 9 resources unchanged.")
	assert.NotContains(t, md, "| operation |")
}

func TestRenderMarkdownWeightOnlyChangeIsAChange(t *testing.T) {
	before, after := infra.Weights{Blue: 100}, infra.Weights{Blue: 50, Green: 50}
	p := NewStack(infra.Blue, []events.EngineEvent{
		pre(apitype.OpUpdate, urnBase+infra.TypeEdge+"$aws:lb/listener:Listener::edge-http", "aws:lb/listener:Listener", nil, []string{"defaultActions"}, nil),
		summary(map[apitype.OpType]int{apitype.OpUpdate: 1, apitype.OpSame: 40}),
	})
	p.Before, p.After = &before, &after
	md := RenderMarkdown([]Stack{p})
	assert.Contains(t, md, "blue 100% → 50%, green 0% → 50%")
	assert.Contains(t, md, "| update | 1 |")
	assert.NotContains(t, md, "Replaces and deletes")
}

func diag(severity, msg string) events.EngineEvent {
	return events.EngineEvent{EngineEvent: apitype.EngineEvent{DiagnosticEvent: &apitype.DiagnosticEvent{Severity: severity, Message: msg}}}
}

// The program's warnings (a .NET channel past its end of support) reach the PR comment,
// once each, without the engine's colour markup; info and debug lines do not.
func TestRenderMarkdownShowsWarnings(t *testing.T) {
	const eol = ".NET 8.0 reached end of support on 2026-11-10: images baked with it get no more security fixes."
	evs := append(recordedRelease(),
		diag("info", "image: .NET 8.0 (Hosting Bundle 8.0.31)\n"),
		diag("warning", "<{%reset%}>"+eol+"<{%reset%}>\n"),
		diag("warning", eol+"\n"),
		diag("debug", "noise"),
	)
	p := NewStack(infra.Blue, evs)
	assert.Equal(t, []string{eol}, p.Warnings)
	md := RenderMarkdown([]Stack{p})
	assert.Contains(t, md, "### Stack `blue`\n\n> **Warning:** "+eol+"\n\n")
	assert.Equal(t, 1, strings.Count(md, "end of support"))
	assert.NotContains(t, md, "Hosting Bundle 8.0.31")

	quiet := NewStack(infra.Green, []events.EngineEvent{diag("warning", eol), summary(map[apitype.OpType]int{apitype.OpSame: 9})})
	assert.Contains(t, RenderMarkdown([]Stack{quiet}), "> **Warning:** "+eol+"\n\nNo changes: 9 resources unchanged.", "a warning shows even with nothing to change")
}
