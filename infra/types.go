package infra

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

// ComponentTypePrefix starts every component type token above.
const ComponentTypePrefix = "webapi:infra:"
