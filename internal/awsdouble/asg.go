package awsdouble

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// Target health states, as ELBv2 names them.
const (
	HealthInitial   = "initial"
	HealthHealthy   = "healthy"
	HealthUnhealthy = "unhealthy"
	HealthUnused    = "unused"
	HealthDraining  = "draining"
)

// Instance refresh statuses, as Auto Scaling names them.
const (
	RefreshPending    = "Pending"
	RefreshInProgress = "InProgress"
	RefreshSuccessful = "Successful"
	RefreshFailed     = "Failed"
	RefreshCancelled  = "Cancelled"
)

// capacityError is an Auto Scaling group that was written but did not reach the
// capacity `up` waits for: the resource exists in AWS (and must be in Pulumi's state),
// yet the operation failed.
type capacityError struct{ msg string }

func (e *capacityError) Error() string { return e.msg }

// asgLaunchTemplate is the launch template ID and the concrete version a group launches.
func asgLaunchTemplate(st *State, asg map[string]any) (id, name, version string) {
	lt := obj(asg, "launchTemplate")
	id, version = str(lt, "id"), str(lt, "version")
	if r, ok := st.Resources[id]; ok {
		name = str(r.Props, "name")
		switch version {
		case "", "$Default":
			v, _ := num(r.Props, "defaultVersion")
			version = strconv.Itoa(v)
		case "$Latest":
			v, _ := num(r.Props, "latestVersion")
			version = strconv.Itoa(v)
		}
	}
	return id, name, version
}

// reconcileASG does what Auto Scaling and the provider do after a group is written:
// instances up or down to the desired capacity, registered in the target groups; an
// instance refresh when the launch template changed (the provider starts one after
// UpdateAutoScalingGroup and does not wait for it; a refresh in progress is cancelled by
// the next — group.go, resourceGroupUpdate and startInstanceRefresh); and the wait for
// ELB capacity only when desired_capacity or min_size changed.
func reconcileASG(w *world, r *Resource, old map[string]any) error {
	ltChanged := old != nil && !reflect.DeepEqual(obj(old, "launchTemplate"), obj(r.Props, "launchTemplate"))
	scaleASG(w.st, r)
	syncTargets(w.st, r, old)
	if ltChanged && obj(r.Props, "instanceRefresh") != nil {
		startRefresh(w.st, r)
	}
	if old != nil && !capacityInputsChanged(old, r.Props) {
		return nil
	}
	return waitForELBCapacity(w.st, r)
}

func capacityInputsChanged(old, news map[string]any) bool {
	for _, k := range []string{"desiredCapacity", "minSize"} {
		a, _ := num(old, k)
		b, _ := num(news, k)
		if a != b {
			return true
		}
	}
	return false
}

// RefreshScript is how the instance refreshes a group starts from now on play out:
// each DescribeInstanceRefreshes of the group (the tool's poll) moves one in progress a
// step on, and after Polls polls it ends with Outcome. Successful replaces the instances
// the refresh replaces (see replacedBy); Failed and Cancelled replace nothing and carry
// Reason. Without a script a refresh stays in progress until FinishInstanceRefresh or
// FailInstanceRefresh.
type RefreshScript struct {
	Outcome string `json:"outcome"`
	Reason  string `json:"reason,omitempty"`
	Polls   int    `json:"polls"`
	Polled  int    `json:"polled,omitempty"` // on a refresh's own copy: polls so far
}

var refreshOutcomes = []string{RefreshSuccessful, RefreshFailed, RefreshCancelled}

// startRefresh cancels a refresh in progress and starts a new one to the group's launch
// template version, with the group's SkipMatching preference and its refresh script.
// A SkipMatching refresh that finds every instance on that version (a 0 → N scale with a
// new template, say) has nothing to replace and succeeds at once, as AWS's does
// ("SkipMatching": "instances that already have the desired configuration are skipped",
// Auto Scaling API reference, RefreshPreferences).
func startRefresh(st *State, r *Resource) *InstanceRefresh {
	for _, ref := range st.Refreshes[r.ID] {
		if refreshActive(ref) {
			ref.Status, ref.StatusReason, ref.EndTime = RefreshCancelled, "Cancelled by a newer instance refresh", nowUnix()
		}
	}
	_, _, version := asgLaunchTemplate(st, r.Props)
	ref := &InstanceRefresh{
		ID:     fmt.Sprintf("%s-%s-%s-%s-%s", randomHex(8), randomHex(4), randomHex(4), randomHex(4), randomHex(12)),
		Status: RefreshInProgress, StartTime: nowUnix(), LaunchTemplateVersion: version,
		SkipMatching: boolean(obj(obj(r.Props, "instanceRefresh"), "preferences"), "skipMatching"),
	}
	if s := st.RefreshScripts[r.ID]; s != nil {
		own := *s
		ref.Script = &own
	}
	st.Refreshes[r.ID] = append(st.Refreshes[r.ID], ref)
	if ref.SkipMatching && len(replacedBy(st, r.ID, ref)) == 0 {
		ref.Status, ref.PercentageComplete, ref.EndTime = RefreshSuccessful, 100, nowUnix()
	}
	return ref
}

func refreshActive(ref *InstanceRefresh) bool {
	return ref.Status == RefreshPending || ref.Status == RefreshInProgress
}

// replacedBy are the instances a refresh replaces: those not on its version, or every
// one without SkipMatching.
func replacedBy(st *State, asg string, ref *InstanceRefresh) []*Instance {
	var out []*Instance
	for _, in := range st.Instances[asg] {
		if !ref.SkipMatching || in.LaunchTemplateVersion != ref.LaunchTemplateVersion {
			out = append(out, in)
		}
	}
	return out
}

// finishRefresh ends a refresh Successful: the instances it replaces are terminated and
// deregistered, and the group launches new ones on the refresh's version up to its
// desired capacity, registered with the new-target health.
func finishRefresh(st *State, r *Resource, ref *InstanceRefresh) {
	gone := replacedBy(st, r.ID, ref)
	isGone := func(id string) bool { return slices.ContainsFunc(gone, func(i *Instance) bool { return i.ID == id }) }
	for _, tg := range strList(r.Props, "targetGroupArns") {
		st.Targets[tg] = slices.DeleteFunc(st.Targets[tg], func(t *Target) bool { return isGone(t.ID) })
	}
	st.Instances[r.ID] = slices.DeleteFunc(st.Instances[r.ID], func(i *Instance) bool { return isGone(i.ID) })
	kept := len(st.Instances[r.ID])
	scaleASG(st, r)
	for _, in := range st.Instances[r.ID][kept:] {
		in.LaunchTemplateVersion = ref.LaunchTemplateVersion
	}
	syncTargets(st, r, nil)
	ref.Status, ref.PercentageComplete, ref.EndTime = RefreshSuccessful, 100, nowUnix()
}

// pollRefreshes moves the group's scripted refreshes in progress one poll on.
func pollRefreshes(st *State, asg string) {
	r, ok := st.Resources[asg]
	if !ok {
		return
	}
	for _, ref := range st.Refreshes[asg] {
		if ref.Script == nil || !refreshActive(ref) {
			continue
		}
		ref.Script.Polled++
		polls := max(ref.Script.Polls, 1)
		if ref.Script.Polled < polls {
			ref.PercentageComplete = int32(100 * ref.Script.Polled / polls)
			continue
		}
		if ref.Script.Outcome == RefreshSuccessful {
			finishRefresh(st, r, ref)
			continue
		}
		ref.Status, ref.StatusReason, ref.EndTime = ref.Script.Outcome, ref.Script.Reason, nowUnix()
	}
}

func desiredOf(asg map[string]any) int {
	if d, ok := num(asg, "desiredCapacity"); ok {
		return d
	}
	m, _ := num(asg, "minSize")
	return m
}

// scaleASG launches or terminates instances to the desired capacity. New instances run
// the group's current launch template version; the newest are terminated first.
func scaleASG(st *State, r *Resource) {
	want := desiredOf(r.Props)
	insts := st.Instances[r.ID]
	if len(insts) > want {
		st.Instances[r.ID] = insts[:want]
		return
	}
	ltID, ltName, version := asgLaunchTemplate(st, r.Props)
	zones := subnetZones(st, strList(r.Props, "vpcZoneIdentifiers"))
	itype := ""
	if lt, ok := st.Resources[ltID]; ok {
		itype = str(lt.Props, "instanceType")
	}
	for i := len(insts); i < want; i++ {
		insts = append(insts, &Instance{
			ID: "i-" + randomHex(17), AvailabilityZone: zones[i%len(zones)],
			LaunchTemplateID: ltID, LaunchTemplateName: ltName, LaunchTemplateVersion: version,
			LifecycleState: "InService", HealthStatus: "Healthy", InstanceType: itype,
			LaunchedAtUnixSeconds: nowUnix(),
		})
	}
	st.Instances[r.ID] = insts
}

func subnetZones(st *State, subnets []string) []string {
	var zones []string
	for _, s := range subnets {
		if r, ok := st.Resources[s]; ok {
			zones = append(zones, str(r.Props, "availabilityZone"))
		}
	}
	if len(zones) == 0 {
		zones = []string{DefaultRegion + "a"}
	}
	return zones
}

// syncTargets registers the group's instances in its target groups and deregisters
// instances that left, and all of them from target groups the group left.
func syncTargets(st *State, r *Resource, old map[string]any) {
	ids := map[string]bool{}
	for _, in := range st.Instances[r.ID] {
		ids[in.ID] = true
	}
	owned := func(t *Target) bool {
		return slices.ContainsFunc(st.Instances[r.ID], func(i *Instance) bool { return i.ID == t.ID })
	}
	now := strList(r.Props, "targetGroupArns")
	for _, tg := range strList(old, "targetGroupArns") {
		if !slices.Contains(now, tg) {
			st.Targets[tg] = slices.DeleteFunc(st.Targets[tg], owned)
		}
	}
	for _, tg := range now {
		registered := map[string]bool{}
		var kept []*Target
		for _, t := range st.Targets[tg] {
			if strings.HasPrefix(t.ID, "i-") && !ids[t.ID] && !isOtherGroups(st, r.ID, t.ID) {
				continue // its instance was terminated
			}
			registered[t.ID] = true
			kept = append(kept, t)
		}
		for _, in := range st.Instances[r.ID] {
			if !registered[in.ID] {
				kept = append(kept, &Target{ID: in.ID, Port: 80, State: cmp.Or(st.NewTargetHealth, HealthHealthy)})
			}
		}
		st.Targets[tg] = kept
	}
}

func isOtherGroups(st *State, asg, instanceID string) bool {
	for name, insts := range st.Instances {
		if name != asg && slices.ContainsFunc(insts, func(i *Instance) bool { return i.ID == instanceID }) {
			return true
		}
	}
	return false
}

// waitForELBCapacity is wait_for_elb_capacity: at least that many of the group's
// instances healthy in every target group, or the provider times out.
func waitForELBCapacity(st *State, r *Resource) error {
	want, _ := num(r.Props, "waitForElbCapacity")
	if want == 0 {
		return nil
	}
	for _, tg := range strList(r.Props, "targetGroupArns") {
		healthy := 0
		for _, t := range st.Targets[tg] {
			if t.State == HealthHealthy && slices.ContainsFunc(st.Instances[r.ID], func(i *Instance) bool { return i.ID == t.ID }) {
				healthy++
			}
		}
		if healthy < want {
			return &capacityError{msg: fmt.Sprintf("waiting for Auto Scaling Group (%s) capacity satisfied: timeout while "+
				"waiting for state to become 'ok' (last state: 'want at least %d healthy instance(s) registered to "+
				"Load Balancer, have %d', timeout: %s)", r.ID, want, healthy, cmp.Or(str(r.Props, "waitForCapacityTimeout"), "10m"))}
		}
	}
	return nil
}

// deleteASG terminates the group's instances and deregisters them.
func deleteASG(w *world, r *Resource) error {
	for _, tg := range strList(r.Props, "targetGroupArns") {
		w.st.Targets[tg] = slices.DeleteFunc(w.st.Targets[tg], func(t *Target) bool {
			return slices.ContainsFunc(w.st.Instances[r.ID], func(i *Instance) bool { return i.ID == t.ID })
		})
	}
	delete(w.st.Instances, r.ID)
	delete(w.st.Refreshes, r.ID)
	delete(w.st.RefreshScripts, r.ID)
	return nil
}
