package infra

import "strings"

// Component type tokens: the program registers its components under these, and the
// tool and the tests recognise a resource's component by them (a URN carries its
// parent's type), so a token is spelled out once.
const (
	TypeNetwork    = "webapi:infra:Network"
	TypeEdge       = "webapi:infra:Edge"
	TypeFleet      = "webapi:infra:Fleet"
	TypeImage      = "webapi:infra:Image"
	TypeMonitoring = "webapi:infra:Monitoring"
)

// EdgeName is the edge component's name: its children's names start with it.
const EdgeName = "edge"

// IsTrafficListenerURN says whether a URN names the traffic listener as the program
// registers it now: by port (ListenerName). Stacks deployed before the listeners were
// named by port carry an older name in their outputs until their next full update.
func IsTrafficListenerURN(u string) bool {
	for _, port := range []int{80, 443} {
		if strings.HasSuffix(u, "$aws:lb/listener:Listener::"+ListenerName(EdgeName, port)) {
			return true
		}
	}
	return false
}

// ComponentTypePrefix starts every component type token above.
const ComponentTypePrefix = "webapi:infra:"
