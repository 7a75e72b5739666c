// Package engine is esbtui's Docker engine client: Connect (resolved the
// way the docker CLI does, pinged, API version checked, with typed errors
// for what a user fixes), the live state of a compose project's containers
// (Ps, Watch on engine events), container logs, image save/load/pull/remove,
// builds (BuildKit or classic), exec and one-off containers beside another,
// the engine's layer store read in place (LocalImage), who holds a port
// (CheckPort) and where containers reach the host (HostGatewayIP).
//
// It knows compose projects only by their labels and builds the Compose
// service (Compose) the stack package drives; it imports nothing of the
// stack, which sits on top of it (project, up, down, gc). Nothing here
// writes to the terminal: logs, build output and healthcheck output are
// cleaned of control sequences on the way out; Exec and RunOnce return a
// command's raw output for the caller to parse.
package engine
