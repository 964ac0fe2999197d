package infra

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"net/netip"
)

// SubnetPlan is the address plan of a VPC: one public and one private subnet per AZ,
// in AZ order.
type SubnetPlan struct {
	Public  []netip.Prefix
	Private []netip.Prefix
}

// PlanSubnets splits vpc into equal blocks, the smallest power of two of them that holds
// two subnets per AZ. Public subnet i is block i of the first half, private subnet i is
// block i of the second half, so the two tiers never share a range and each AZ's pair
// sits at the same offset in its half. The plan depends only on vpc and azCount: the
// same config always yields the same CIDRs. Blocks never overlap and all lie inside vpc
// by construction; the tests check it anyway.
//
// Because blocks are sized by azCount, planning for another count moves every subnet
// whenever the rounding to a power of two changes: 2 → 3 zones halves every block
// (a /16 goes from /18s to /19s), 3 → 4 happens to keep them. A subnet's cidrBlock
// cannot change in place (the provider replaces it), and each replacement overlaps the
// subnet it replaces, which AWS refuses (InvalidSubnet.Conflict). So the network plans
// for webapi:maxAzCount zones when it is set (PlanSubnetsWithRoom): subnets are sized
// for that many from the start, and adding zones up to it only adds subnets. It has to
// be set when the VPC is created: changing it later moves the subnets just the same
// whenever the block size changes.
func PlanSubnets(vpc netip.Prefix, azCount int) (SubnetPlan, error) {
	if !vpc.Addr().Is4() {
		return SubnetPlan{}, fmt.Errorf("subnet plan: %s is not an IPv4 prefix", vpc)
	}
	if vpc.Masked() != vpc {
		return SubnetPlan{}, fmt.Errorf("subnet plan: %s has host bits set", vpc)
	}
	if azCount < 1 {
		return SubnetPlan{}, fmt.Errorf("subnet plan: %d availability zones, want at least 1", azCount)
	}
	blocks := 2 * azCount
	newBits := bits.Len(uint(blocks - 1)) // ceil(log2(blocks))
	prefix := vpc.Bits() + newBits
	if prefix > minSubnetPrefix {
		return SubnetPlan{}, fmt.Errorf("too small for %d subnets (%d AZs x public+private): they would be /%d, AWS's smallest subnet is /%d; use a /%d or larger",
			blocks, azCount, prefix, minSubnetPrefix, minSubnetPrefix-newBits)
	}
	a4 := vpc.Addr().As4()
	base := binary.BigEndian.Uint32(a4[:])
	size := uint32(1) << (32 - prefix)
	block := func(i int) netip.Prefix {
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], base+uint32(i)*size)
		return netip.PrefixFrom(netip.AddrFrom4(b), prefix)
	}
	plan := SubnetPlan{}
	half := 1 << (newBits - 1) // private subnets start in the second half of the VPC
	for i := 0; i < azCount; i++ {
		plan.Public = append(plan.Public, block(i))
		plan.Private = append(plan.Private, block(half+i))
	}
	return plan, nil
}

// PlanSubnetsWithRoom is the plan of the first inUse zones of PlanSubnets(vpc, roomFor):
// subnets sized for roomFor zones, so that zones added up to roomFor only add subnets and
// never move the existing ones. roomFor 0 means the zones in use (PlanSubnets(vpc, inUse)).
func PlanSubnetsWithRoom(vpc netip.Prefix, inUse, roomFor int) (SubnetPlan, error) {
	if roomFor == 0 {
		roomFor = inUse
	}
	if roomFor < inUse {
		return SubnetPlan{}, fmt.Errorf("subnet plan: room for %d zones, %d in use", roomFor, inUse)
	}
	plan, err := PlanSubnets(vpc, roomFor)
	if err != nil {
		return SubnetPlan{}, err
	}
	return SubnetPlan{Public: plan.Public[:inUse], Private: plan.Private[:inUse]}, nil
}
